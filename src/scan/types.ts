import { ECOSYSTEMS, type Ecosystem } from "../config.js";

/** Package ecosystems by their OSV names (ossf.github.io/osv-schema, "ecosystem"): one list, in config.ts. */
export { ECOSYSTEMS, type Ecosystem };

export const isEcosystem = (value: unknown): value is Ecosystem =>
  typeof value === "string" && (ECOSYSTEMS as readonly string[]).includes(value);

/**
 * One resolved distribution to scan. `name` is normalized the way its ecosystem compares names (PEP 503 for PyPI,
 * as published for npm); `version` is the exact pinned version.
 */
export type ScanPin = { ecosystem: Ecosystem; name: string; version: string };

/**
 * A known vulnerability affecting one pin. `id` is the advisory's primary id; `aliases` its other ids (CVE, GHSA, …).
 * An OSV `MAL-` id (as id or alias) marks malware, not a vulnerability: see `isMalware`.
 */
export type Finding = {
  id: string;
  aliases: string[];
  ecosystem: Ecosystem;
  package: string;
  version: string;
  fixedVersions: string[];
  summary?: string;
};

/** Results are keyed by `pinKey(pin)`, with one entry for every pin asked about (an empty array when clean). */
export type ScanResult = Map<string, Finding[]>;

/**
 * What the advisory data behind a scanner is, right now. `id` names the source (backend and where it reads from);
 * `version` changes whenever the data may have changed, so cached results of older data are never reused.
 */
export type AdvisorySourceInfo = {
  id: string;
  version: string;
  /** Days since the data was last refreshed (offline databases only). */
  ageDays?: number;
  /** Advisory records the source holds (offline databases only). */
  advisories?: number;
  /** ISO time of the newest change in the data (offline databases only). */
  newest?: string;
};

/**
 * A scanner's answer to "would a scan work now, and against what data?" (doctor and packages.doctor render it).
 * `problem` says what is wrong and `fix` what the operator should do; both are absent when `ok`.
 */
export type ScannerHealth = {
  ok: boolean;
  /** The backend: "osv-db", "pip-audit" or "osv-api". */
  backend: string;
  problem?: string;
  fix?: string;
  /** Advisory records found (osv-db), or advisories the probe pin got back (pip-audit). */
  advisories?: number;
  /** ISO time of the newest advisory change seen. */
  newest?: string;
  /** Where the data comes from: a directory, the managed database's source URL, or the vulnerability service. */
  source?: string;
  /** The data's version (osv-db), or the pip-audit version and service. */
  version?: string;
  ageDays?: number;
  /** How the offline data is laid out: "pypa-tree", "osv-json-dir" or "managed". */
  layout?: string;
};

/**
 * A vulnerability source. `id` names the source and its settings (e.g. `pip-audit:osv`). Any failure throws
 * SCANNER_UNAVAILABLE: a scanner never reports "clean" for a pin it could not check, and `source()` throws too
 * when the data is unusable (an unknown layout, older than the configured limit), so cached results cannot stand in
 * for a scan the scanner would refuse.
 */
export interface Scanner {
  readonly id: string;
  source(signal?: AbortSignal): Promise<AdvisorySourceInfo>;
  scan(pins: ScanPin[], signal?: AbortSignal): Promise<ScanResult>;
  /** Never throws: a failure is `{ok: false, problem, fix}`. */
  probe(signal?: AbortSignal): Promise<ScannerHealth>;
}

export const pinKey = (pin: ScanPin): string => `${pin.ecosystem}:${pin.name}@${pin.version}`;

/** How a person writes the pin: `requests==2.0` for PyPI, `left-pad@1.3.0` for npm. */
export const pinLabel = (pin: { ecosystem: Ecosystem; name: string; version: string }): string =>
  pin.ecosystem === "PyPI" ? `${pin.name}==${pin.version}` : `${pin.name}@${pin.version}`;

/** Python pins as scan pins. */
export const pypiPins = (pins: readonly { name: string; version: string }[]): ScanPin[] =>
  pins.map((p) => ({ ecosystem: "PyPI", name: p.name, version: p.version }));

const MALWARE_ID = /^MAL-/i;

/**
 * SECURITY: an OSV `MAL-` record (OpenSSF malicious-packages, as OSV serves it) names malware, whatever other id a
 * source reports it under; such a finding is never ignorable and never overridable.
 */
export const isMalware = (finding: Pick<Finding, "id" | "aliases">): boolean =>
  MALWARE_ID.test(finding.id) || finding.aliases.some((a) => MALWARE_ID.test(a));

/** The id audit records name a finding by: for malware its MAL- id (its own, else the alias), else its id. */
export const recordedId = (finding: Pick<Finding, "id" | "aliases">): string =>
  MALWARE_ID.test(finding.id) ? finding.id : (finding.aliases.find((a) => MALWARE_ID.test(a)) ?? finding.id);
