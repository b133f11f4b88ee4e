import type { AuditLog } from "../audit/log.js";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import { overrideFor, type OverrideStore } from "../policy/overrides.js";
import type { PythonEnvironment, QuarantineRecord, ReleaseMode } from "../python/environment.js";
import type { VulnerabilityScanService } from "../scan/scan-service.js";
import { isMalware, pypiPins } from "../scan/types.js";
import { auditFromError, describeFindings, maliciousError } from "./results.js";
import type { CallerContext } from "./types.js";

type Deps = {
  python: PythonEnvironment;
  audit: Pick<AuditLog, "append">;
  overrides: Pick<OverrideStore, "live">;
  scan: () => Promise<Pick<VulnerabilityScanService, "scan">>;
  now: () => Date;
};

const who = (caller: CallerContext): string => caller.client ?? caller.source;

/** packages.quarantine: the skill's venv out of use until an operator releases it; audited. */
export const quarantineSkill = async (
  deps: Deps,
  skill: string,
  reason: string | undefined,
  caller: CallerContext,
): Promise<QuarantineRecord & { already: boolean }> => {
  const id = deps.python.validateSkill(skill);
  const text = reason?.trim() || "quarantined by an operator";
  const { record, already } = await deps.python.quarantine(id, { by: who(caller), reason: text, now: deps.now() });
  await deps.audit.append({
    source: caller.source,
    client: caller.client ?? null,
    status: "quarantined",
    skillId: id,
    reason: already ? `already quarantined since ${record.at}: ${record.reason}` : text,
    details: { movedTo: record.movedTo, already },
  });
  return { ...record, already };
};

/**
 * Ends a quarantine. A rebuild reinstalls the recorded pins, so they are scanned first: malware, or a vulnerability no
 * override covers, refuses it (reset or restore instead).
 */
export const releaseSkill = async (
  deps: Deps,
  skill: string,
  mode: ReleaseMode,
  caller: CallerContext,
): Promise<QuarantineRecord & { mode: ReleaseMode }> => {
  const id = deps.python.validateSkill(skill);
  try {
    if (mode === "rebuild") {
      const pins = (await deps.python.installed(id)).map((p) => ({ name: p.package, version: p.version }));
      const scan = await (await deps.scan()).scan(pypiPins(pins), undefined, { fresh: true });
      if (scan.malware.length > 0) throw maliciousError(`Skill '${id}'`, scan.malware);
      const live = await deps.overrides.live();
      const blocking = scan.findings.filter((f) => !isMalware(f) && !overrideFor(live, id, f, deps.now()));
      if (blocking.length > 0)
        throw new PackageGuardError(
          "VULNERABLE",
          `Rebuilding skill '${id}' would reinstall ${describeFindings(blocking)}. Release it with --mode reset (an ` +
            `empty venv) and install fixed versions, or add overrides first.`,
          { details: { skill: id, vulnerabilities: blocking } },
        );
    }
    const record = await deps.python.release(id, mode);
    await deps.audit.append({
      source: caller.source,
      client: caller.client ?? null,
      status: "quarantine_released",
      skillId: id,
      reason: `${mode} after quarantine since ${record.at} (${record.reason})`,
      details: { mode, movedTo: record.movedTo },
    });
    return { ...record, mode };
  } catch (error) {
    const e = toPackageGuardError(error);
    await deps.audit.append({
      source: caller.source,
      client: caller.client ?? null,
      skillId: id,
      ...auditFromError(e),
      details: { ...e.details, action: `quarantine-release-${mode}` },
    });
    throw e;
  }
};
