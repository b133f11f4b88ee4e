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

/** What the tree's policy needs besides the whitelist: see checkTreePolicy. */
export type NpmTreePolicy = {
  whitelist: Whitelist;
  maturity: Maturity;
  /** The component's own requests (each decided when it was asked for): exempt here. */
  requested: readonly string[];
  dependencies: "scanned" | "whitelisted";
  /** A dependency whose entry requires approval: the live grant, or a throw (APPROVAL_REQUIRED). */
  requireGrant(name: string, range: string): Promise<unknown>;
};

/**
 * The same rule as Python's dependency policy (dependency-policy.ts): a package of the tree that is on the whitelist
 * answers to its entry whether it was asked for or pulled in - visible at the agent's maturity, granted when its
 * entry requires approval - and with policy.dependencies "whitelisted" a package not on it at all is refused.
 */
export const checkTreePolicy = async (packages: readonly LockPackage[], policy: NpmTreePolicy): Promise<void> => {
  const seen = new Set<string>();
  for (const p of packages) {
    if (seen.has(p.name) || policy.requested.includes(p.name)) continue;
    seen.add(p.name);
    const entry = policy.whitelist.lookup(p.name, policy.maturity, "npm");
    if (entry === undefined) {
      const approvedAt = policy.whitelist.approvedAt(p.name, "npm") ?? null;
      if (approvedAt === null && policy.dependencies === "scanned") continue;
      const why =
        approvedAt !== null
          ? `is approved only from ${approvedAt} up, not for ${policy.maturity} agents`
          : "is not on the whitelist, and policy.dependencies is 'whitelisted'";
      throw new PackageGuardError(
        "NOT_WHITELISTED",
        `npm dependency '${p.name}' (${p.path}, pulled in by ${policy.requested.join(", ")}) ${why}. Request ` +
          `something that does not need it, or ask an operator to approve ${p.name} for ${policy.maturity} agents.`,
        {
          details: {
            package: p.name,
            ecosystem: "npm",
            path: p.path,
            maturity: policy.maturity,
            ...(approvedAt !== null ? { approvedAt } : {}),
          },
        },
      );
    }
    if (entry.requires_approval) await policy.requireGrant(p.name, entry.version);
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
