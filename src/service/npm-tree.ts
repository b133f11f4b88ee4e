import type { Maturity } from "../config.js";
import { PackageGuardError } from "../errors.js";
import type { LockPackage } from "../npm/types.js";
import { npmRangeContains } from "../policy/npm-range.js";
import type { Whitelist } from "../policy/whitelist.js";
import type { ScanOutcome } from "../scan/scan-service.js";
import { describeFindings } from "./results.js";
import type { VulnerabilityFinding } from "./types.js";

/** An npm pin as the scanner takes it: each (name, version) of a tree once, whatever folders it sits in. */
export type NpmPin = { name: string; version: string; ecosystem: "npm" };

export const npmPins = (packages: readonly LockPackage[]): NpmPin[] => [
  ...new Map(
    packages.map((p) => [`${p.name}@${p.version}`, { name: p.name, version: p.version, ecosystem: "npm" as const }]),
  ).values(),
];

/**
 * DESIGN step 4 for npm: a package of the tree that is itself on the whitelist must be inside the approved range
 * of the entry that governs it (the agent's, else the widest tier's), wherever in the tree it sits.
 */
export const checkTreeRanges = (packages: readonly LockPackage[], whitelist: Whitelist, maturity: Maturity): void => {
  for (const p of packages) {
    const entry = whitelist.governing(p.name, maturity, "npm");
    if (entry && entry.version !== "" && !npmRangeContains(entry.version, p.version)) {
      throw new PackageGuardError(
        "CONSTRAINT_VIOLATION",
        `The resolved tree needs ${p.name}@${p.version} (${p.path}), outside its approved range '${entry.version}'`,
        { details: { package: p.name, ecosystem: "npm", version: p.version, allowed: entry.version, path: p.path } },
      );
    }
  }
};

/** An OSV `MAL-` record: the release is malware, not a bug; no ignore rule or override applies to it. */
export const isMalicious = (f: VulnerabilityFinding): boolean =>
  [f.id, ...f.aliases].some((id) => id.toUpperCase().startsWith("MAL-"));

/**
 * The scan's findings as a refusal, if any still block: MALICIOUS when one is a `MAL-` record (even one an ignore
 * rule or override named), else VULNERABLE.
 */
export const scanRefusal = (
  name: string,
  scan: Pick<ScanOutcome, "ignored">,
  blocking: readonly VulnerabilityFinding[],
  overridden: readonly VulnerabilityFinding[],
): PackageGuardError | null => {
  // SECURITY: malware is never ignorable or overridable, so the ones let through are taken back here.
  const malware = [...blocking, ...scan.ignored.map((i) => i.finding), ...overridden].filter(isMalicious);
  if (malware.length > 0) {
    return new PackageGuardError(
      "MALICIOUS",
      `Installing ${name} would bring known malware: ` +
        `${malware.map((f) => `${f.id} in ${f.package}@${f.version}`).join("; ")}. Nothing was installed; this ` +
        `cannot be ignored or overridden.`,
      { details: { package: name, ecosystem: "npm", vulnerabilities: malware } },
    );
  }
  if (blocking.length === 0) return null;
  return new PackageGuardError(
    "VULNERABLE",
    `Installing ${name} would bring ${describeFindings(blocking)}. Request a fixed version, or ask an operator for ` +
      `an override (packages.overrides.add).`,
    { details: { package: name, ecosystem: "npm", vulnerabilities: blocking } },
  );
};
