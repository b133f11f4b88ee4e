import type { AuditInput } from "../audit/log.js";
import type { Maturity } from "../config.js";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import type { Whitelist, WhitelistEntry } from "../policy/whitelist.js";
import { recordedId, type Finding } from "../scan/types.js";
import type { CheckResult, ResourceProfile, VulnerabilityFinding, WhitelistView } from "./types.js";

export const toView = (e: WhitelistEntry): WhitelistView => ({
  package: e.package,
  ecosystem: e.ecosystem,
  version: e.version,
  maturity: e.maturity,
  max_memory_mb: e.max_memory_mb,
  network_access: e.network_access,
  requires_approval: e.requires_approval,
  description: e.description,
  category: e.category,
  extras: e.extras,
});

/**
 * Per package from its whitelist entry; for the skill, the most any package needs (memory) and network if any needs it.
 */
export const buildResources = (pins: { name: string }[], whitelist: Whitelist, maturity: Maturity): ResourceProfile => {
  const packages = pins
    .map((p) => whitelist.governing(p.name, maturity))
    .filter((e): e is WhitelistEntry => e !== undefined)
    .map((e) => ({ package: e.package, max_memory_mb: e.max_memory_mb, network_access: e.network_access }));
  const limits = packages.map((p) => p.max_memory_mb).filter((m): m is number => m !== null);
  return {
    packages,
    skill: {
      maxMemoryMb: limits.length > 0 ? Math.max(...limits) : null,
      networkAccess: packages.some((p) => p.network_access),
    },
  };
};

/**
 * "2 known vulnerabilities: PYSEC-1 in a 1.0 (fixed in 1.1); …", for the VULNERABLE messages of installs and vets.
 */
export const describeFindings = (findings: readonly VulnerabilityFinding[]): string =>
  `${findings.length} known vulnerabilit${findings.length === 1 ? "y" : "ies"}: ` +
  findings
    .map(
      (f) =>
        `${f.id} in ${f.package} ` +
        `${f.version}${f.fixedVersions.length ? ` (fixed in ${f.fixedVersions.join(", ")})` : ""}`,
    )
    .join("; ");

/**
 * MALICIOUS for an install or vet that would bring malware. SECURITY: no ignore rule or override reaches this; the
 * details name each MAL- record so the audit log does too.
 */
export const maliciousError = (name: string, malware: readonly Finding[]): PackageGuardError =>
  new PackageGuardError(
    "MALICIOUS",
    `${name} would bring malware: ` +
      malware
        .map((f) => `${recordedId(f)} in ${f.package} ${f.version}${f.summary ? ` (${f.summary})` : ""}`)
        .join("; ") +
      `. Malware is never installed, and no ignore rule or override applies to it; do not use this package.`,
    { details: { package: name, malware: malware.map(recordedId), vulnerabilities: [...malware] } },
  );

/** How a failed attempt is written down: blocked by policy or scan, failed in the installer, or rolled back. */
export const auditFromError = (
  e: PackageGuardError,
): Pick<AuditInput, "status" | "code" | "reason" | "vulnerabilitiesFound" | "vulnerabilities" | "details"> => {
  const vulns = (e.details?.vulnerabilities as { id: string }[] | undefined) ?? [];
  // Malware is recorded by its MAL- id, whatever id the scanner reported it under.
  const malware = e.details?.malware as string[] | undefined;
  const status =
    e.code === "INSTALL_FAILED"
      ? e.details?.rolledBack === true
        ? "rolled_back"
        : "failed"
      : e.code === "BUSY" || e.code === "AUDIT_UNAVAILABLE"
        ? "failed"
        : "blocked";
  return {
    status,
    code: e.code,
    reason: e.message,
    vulnerabilitiesFound: vulns.length,
    vulnerabilities: malware ?? vulns.map((v) => v.id),
    ...(e.details ? { details: e.details } : {}),
  };
};

/** A check's answer for a request policy refused (both ecosystems): the code, the message and any name hints. */
export const deniedCheck = (error: unknown, maturity: Maturity): CheckResult => {
  const e = toPackageGuardError(error);
  const hints = (e.details?.hints as string[] | undefined) ?? undefined;
  return {
    allowed: false,
    code: e.code,
    message: e.message,
    package: (e.details?.package as string | undefined) ?? null,
    specifier: null,
    maturity,
    ...(hints && hints.length > 0 ? { hints } : {}),
  };
};

/**
 * A check's answer for a package that needs approval (both ecosystems): allowed with the live grant, else
 * APPROVAL_REQUIRED saying whether a grant was looked for (`scope` given) or how to ask for one.
 */
export const approvalCheck = (
  base: { package: string; specifier: string; maturity: Maturity },
  grant: { id: string; expiresAt: string | null } | null | undefined,
  about: { what: string; scopeKind: "skill" | "component"; scope: string | undefined; agentId?: string | null },
): CheckResult => {
  if (grant)
    return {
      allowed: true,
      message: `Allowed: approval ${grant.id} grants it until ${grant.expiresAt}`,
      ...base,
      requiresApproval: true,
      approvalId: grant.id,
    };
  const whose = `${about.agentId ? `agent '${about.agentId}'` : "this caller"} in ${about.scopeKind} '${about.scope}'`;
  return {
    allowed: false,
    code: "APPROVAL_REQUIRED",
    message:
      `${about.what} needs operator approval for ${base.maturity} agents` +
      (about.scope === undefined
        ? `; pass --${about.scopeKind} (and --agent) to look for a live grant`
        : ` and no live grant exists for ${whose}`) +
      ". An install request creates a pending approval; an operator approves it with 'approvals resolve'.",
    ...base,
    requiresApproval: true,
  };
};
