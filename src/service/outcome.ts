import type { AuditInput } from "../audit/log.js";
import type { Maturity } from "../config.js";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import type { Whitelist } from "../policy/whitelist.js";
import type { Pin, SkillVenv } from "../python/environment.js";
import type { ChangePlan } from "./change-plan.js";
import { buildResources } from "./results.js";
import type { InstallResult } from "./types.js";

/** Per pin, the advisories an operator override let in (the skill's state keeps them for `installed`). */
export const advisoriesByPin = (plan: ChangePlan): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const { finding } of plan.overridden) out[finding.package] = [...(out[finding.package] ?? []), finding.id];
  return out;
};

/** The outcome record could not be written: the change is undone, and the caller is told why. */
export const auditFailed = (error: unknown): PackageGuardError =>
  new PackageGuardError(
    "INSTALL_FAILED",
    `The audit log could not record the outcome: ${toPackageGuardError(error).message}`,
    { details: { reason: "audit-unavailable" }, cause: error },
  );

export const installResult = (
  venv: SkillVenv,
  name: string,
  installed: Pin[],
  plan: ChangePlan,
  whitelist: Whitelist,
  maturity: Maturity,
  started: Date,
  now: Date,
): InstallResult => {
  const pin = installed.find((p) => p.name === name);
  if (!pin) throw new PackageGuardError("INSTALL_FAILED", `${name} is not in the virtualenv after the install`);
  const scan = plan.scan;
  // SECURITY: an install always scans its whole set; a result without a scan would mean something went in unscanned.
  if (!scan) throw new PackageGuardError("INSTALL_FAILED", `The set installing ${name} was not scanned`);
  return {
    package: pin.name,
    version: pin.version,
    skill: venv.skill,
    python: venv.python,
    installPath: venv.dir,
    dependencies: installed.map((p) => ({ name: p.name, version: p.version })),
    // Findings an operator override let through are still vulnerabilities in the venv: counted and named.
    vulnerabilitiesFound: plan.overridden.length,
    ignoredVulnerabilities: [
      ...scan.ignored.map((i) => ({
        id: i.finding.id,
        package: i.finding.package,
        version: i.finding.version,
        reason: i.rule.reason,
        expires: i.rule.expires,
      })),
      ...plan.overridden.map(({ finding, override }) => ({
        id: finding.id,
        package: finding.package,
        version: finding.version,
        reason: `override ${override.id}: ${override.reason}`,
        expires: override.expires,
      })),
    ],
    resources: buildResources(installed, whitelist, maturity),
    scan: { scanner: scan.scannerId, fromCache: scan.fromCache, scanned: scan.scanned, source: scan.source },
    ...(plan.delisted.length > 0 ? { delisted: plan.delisted } : {}),
    installedAt: now.toISOString(),
    durationMs: now.getTime() - started.getTime(),
  };
};

export const completedRecord = (
  base: Omit<AuditInput, "status">,
  out: InstallResult,
  plan: ChangePlan,
  venv: SkillVenv,
  grant: { id: string } | null,
  /** What the caller said about itself (the seed's agent_maturity): recorded, never decisive. */
  claimed: Record<string, unknown> = {},
): AuditInput => ({
  ...base,
  package: out.package,
  version: out.version,
  status: "completed",
  vulnerabilitiesFound: out.vulnerabilitiesFound,
  vulnerabilities: plan.overridden.map((o) => o.finding.id),
  durationMs: out.durationMs,
  details: {
    ...claimed,
    dependencies: out.dependencies,
    ignored: out.ignoredVulnerabilities,
    scan: out.scan,
    ...(grant ? { approvalId: grant.id } : {}),
    ...(plan.grants.length > 0 ? { dependencyApprovals: plan.grants } : {}),
    ...(plan.delisted.length > 0 ? { delisted: plan.delisted } : {}),
    ...(venv.rebuilt.length > 0 ? { venvRebuilt: venv.rebuilt } : {}),
    ...(plan.overridden.length > 0
      ? {
          overrides: plan.overridden.map((o) => ({
            override: o.override.id,
            advisory: o.finding.id,
            by: o.override.createdBy,
          })),
        }
      : {}),
  },
});
