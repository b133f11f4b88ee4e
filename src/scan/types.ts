/** One resolved distribution to scan. `name` is PEP 503-normalized; `version` is the exact pinned version. */
export type ScanPin = { name: string; version: string };

/**
 * A known vulnerability affecting one pin. `id` is the advisory's primary id; `aliases` its other ids (CVE, GHSA, …).
 */
export type Finding = {
  id: string;
  aliases: string[];
  package: string;
  version: string;
  fixedVersions: string[];
  summary?: string;
};

/** Results are keyed by `pinKey(pin)`, with one entry for every pin asked about (an empty array when clean). */
export type ScanResult = Map<string, Finding[]>;

/**
 * A vulnerability source. `id` names the source and its settings (e.g. `pip-audit:osv`), so cached results
 * of one source are never read back as another's. Any failure throws SCANNER_UNAVAILABLE: a scanner never
 * reports "clean" for a pin it could not check.
 */
export interface Scanner {
  readonly id: string;
  scan(pins: ScanPin[], signal?: AbortSignal): Promise<ScanResult>;
}

export const pinKey = (pin: ScanPin): string => `${pin.name}==${pin.version}`;
