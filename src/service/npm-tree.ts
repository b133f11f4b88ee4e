import type { Maturity } from "../config.js";
import { PackageGuardError } from "../errors.js";
import type { LockPackage } from "../npm/types.js";
import { npmRangeContains } from "../policy/npm-range.js";
import type { Whitelist } from "../policy/whitelist.js";
import type { ScanOutcome } from "../scan/scan-service.js";
import type { ScanPin } from "../scan/types.js";
import { describeFindings, maliciousError } from "./results.js";
import type { VulnerabilityFinding } from "./types.js";

/** The tree as the scanner takes it: each (name, version) once, whatever folders it sits in. */
export const npmPins = (packages: readonly LockPackage[]): ScanPin[] => [
  ...new Map(
    packages.map((p) => [`${p.name}@${p.version}`, { ecosystem: "npm" as const, name: p.name, version: p.version }]),
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

/**
 * The scan's findings as a refusal, if any still block: MALICIOUS when the tree holds malware (an OSV `MAL-` record,
 * which no ignore rule or override reaches), else VULNERABLE for what no override let through.
 */
export const scanRefusal = (
  name: string,
  scan: Pick<ScanOutcome, "malware">,
  blocking: readonly VulnerabilityFinding[],
): PackageGuardError | null => {
  if (scan.malware.length > 0) {
    const e = maliciousError(name, scan.malware);
    return new PackageGuardError(e.code, e.message, { details: { ...e.details, ecosystem: "npm" } });
  }
  if (blocking.length === 0) return null;
  return new PackageGuardError(
    "VULNERABLE",
    `Installing ${name} would bring ${describeFindings(blocking)}. Request a fixed version, or ask an operator for ` +
      `an override (packages.overrides.add).`,
    { details: { package: name, ecosystem: "npm", vulnerabilities: blocking } },
  );
};
