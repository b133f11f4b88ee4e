import { randomUUID } from "node:crypto";
import { PackageGuardError } from "../errors.js";
import { DATE_RULE, endOfUtcDay, isCalendarDate } from "../util/date.js";
import { JsonStore } from "../util/json-store.js";
import { isValidProjectName, normalizeName } from "./names.js";
import { isNpmTreeName } from "./npm-names.js";
import { isExactNpmVersion } from "./npm-range.js";

/**
 * An operator's "request admin override" (seed 000): this skill may install this exact vulnerable release
 * despite these advisories, for a reason, until a date. Nothing else about the scan changes.
 */
export type VulnerabilityOverride = {
  id: string;
  /** The skill id, or for npm the component id (the two share one rule). */
  skill: string;
  /** "npm" for an npm package (its name kept as npm spells it); absent: PyPI. */
  ecosystem?: "npm";
  package: string;
  version: string;
  /** Advisory ids or aliases (PYSEC-…, GHSA-…, CVE-…) the override covers; any other finding still blocks. */
  advisories: string[];
  reason: string;
  /** YYYY-MM-DD: applies through the end of this day (UTC). */
  expires: string;
  createdAt: string;
  createdBy: string | null;
};

export type OverrideInput = {
  skill: string;
  ecosystem?: "PyPI" | "npm";
  package: string;
  version: string;
  advisories: string[];
  reason: string;
  expires: string;
};

type StoreFile = { version: 1; overrides: VulnerabilityOverride[] };

const isStoreFile = (x: unknown): x is StoreFile =>
  (x as StoreFile | null)?.version === 1 && Array.isArray((x as StoreFile).overrides);

const VERSION = /^[0-9][0-9A-Za-z.!+_-]{0,63}$/;
const ADVISORY = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const MAX_DAYS = 366;

const invalid = (message: string): PackageGuardError =>
  new PackageGuardError("INVALID_REQUIREMENT", message, { details: { reason: "override" } });

export const overrideLive = (o: Pick<VulnerabilityOverride, "expires">, now: Date): boolean =>
  now.getTime() < endOfUtcDay(o.expires);

/**
 * Whether a live override covers this finding (same ecosystem, skill or component, package and version; its id or an
 * alias listed).
 */
export const overrideFor = (
  overrides: readonly VulnerabilityOverride[],
  skill: string,
  finding: { id: string; aliases: string[]; package: string; version: string; ecosystem?: string },
  now: Date,
): VulnerabilityOverride | undefined => {
  const ecosystem = finding.ecosystem === "npm" ? "npm" : "PyPI";
  const ids = new Set([finding.id, ...finding.aliases].map((x) => x.toUpperCase()));
  const name = ecosystem === "npm" ? finding.package : normalizeName(finding.package);
  return overrides.find(
    (o) =>
      (o.ecosystem ?? "PyPI") === ecosystem &&
      o.skill === skill &&
      o.package === name &&
      o.version === finding.version &&
      overrideLive(o, now) &&
      o.advisories.some((a) => ids.has(a.toUpperCase())),
  );
};

export class OverrideStore {
  private readonly now: () => Date;
  private readonly store: JsonStore<StoreFile>;

  constructor(file: string, now?: () => Date) {
    this.now = now ?? (() => new Date());
    // Fail closed: an unreadable file overrides nothing.
    this.store = new JsonStore(file, "The overrides file", () => ({ version: 1, overrides: [] }), isStoreFile);
  }

  async list(): Promise<(VulnerabilityOverride & { live: boolean })[]> {
    const now = this.now();
    return (await this.store.read()).overrides
      .map((o) => Object.assign(o, { live: overrideLive(o, now) }))
      .toSorted((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async live(): Promise<VulnerabilityOverride[]> {
    const now = this.now();
    return (await this.store.read()).overrides.filter((o) => overrideLive(o, now));
  }

  /** Validates and stores an override; the skill id is checked by the caller (the service). */
  async add(input: OverrideInput, createdBy: string | null): Promise<VulnerabilityOverride> {
    const npm = input.ecosystem === "npm";
    if (input.ecosystem !== undefined && input.ecosystem !== "PyPI" && !npm)
      throw invalid("override.ecosystem must be PyPI or npm");
    if (typeof input.package !== "string" || !(npm ? isNpmTreeName(input.package) : isValidProjectName(input.package)))
      throw invalid("override.package must be a package name");
    if (typeof input.version !== "string" || !(npm ? isExactNpmVersion(input.version) : VERSION.test(input.version)))
      throw invalid(`override.version must be one exact version, e.g. '${npm ? "4.17.21" : "5.3"}'`);
    if (
      !Array.isArray(input.advisories) ||
      input.advisories.length === 0 ||
      input.advisories.length > 50 ||
      !input.advisories.every((a) => typeof a === "string" && ADVISORY.test(a))
    ) {
      throw invalid("override.advisories must list the advisory ids it covers, e.g. ['PYSEC-2020-96']");
    }
    // SECURITY: an OSV MAL- record names malware; no override ever lets it through (the pipeline checks again).
    const malware = input.advisories.find((a) => /^MAL-/i.test(a));
    if (malware)
      throw invalid(
        `${malware} is a malware record (OSV MAL-): malware is never overridable; remove the package instead`,
      );
    if (typeof input.reason !== "string" || input.reason.trim().length < 3 || input.reason.length > 1000)
      throw invalid("override.reason must say why (3-1000 characters)");
    if (!isCalendarDate(input.expires)) throw invalid(`override.expires must be ${DATE_RULE}`);
    const now = this.now();
    if (!overrideLive(input, now)) throw invalid("override.expires is in the past");
    if (endOfUtcDay(input.expires) - now.getTime() > MAX_DAYS * 24 * 3600 * 1000)
      throw invalid(`override.expires may be at most ${MAX_DAYS} days ahead`);
    const override: VulnerabilityOverride = {
      id: `ovr_${randomUUID().replace(/-/g, "").slice(0, 16)}`,
      skill: input.skill,
      ...(npm ? { ecosystem: "npm" as const } : {}),
      package: npm ? input.package : normalizeName(input.package),
      version: input.version,
      advisories: [...new Set(input.advisories)],
      reason: input.reason.trim(),
      expires: input.expires,
      createdAt: now.toISOString(),
      createdBy,
    };
    await this.store.edit((file) => {
      // Expired overrides are dropped on every write: the file only holds what can still apply.
      file.overrides = [...file.overrides.filter((o) => overrideLive(o, now)), override];
    });
    return override;
  }
}
