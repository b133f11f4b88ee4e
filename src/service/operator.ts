import type { AuditQuery, AuditRecord, VerifyResult } from "../audit/log.js";
import type { Ecosystem, Maturity } from "../config.js";
import { PackageGuardError } from "../errors.js";
import type { NpmComponents } from "../npm/components.js";
import type { ApprovalFilter, Approval, ApprovalView } from "../policy/approvals.js";
import { resolveMaturity } from "../policy/maturity.js";
import { npmNameProblem } from "../policy/npm-names.js";
import type { OverrideInput, VulnerabilityOverride } from "../policy/overrides.js";
import { parseRequest } from "../policy/request.js";
import type { QuarantineRecord, ReleaseMode } from "../python/environment.js";
import { advisoryStatus, updateAdvisories, type AdvisoryStatus, type AdvisoryUpdateResult } from "./advisories.js";
import { runDoctor } from "./doctor.js";
import type { ExposureReport, ExposureService, RescanSummary } from "./exposure.js";
import { npmDoctor, type NpmDoctorReport } from "./npm-doctor.js";
import type { ServiceDeps } from "./pipeline.js";
import { quarantineSkill, releaseSkill } from "./quarantine.js";
import { toView } from "./results.js";
import type { CallerContext, DoctorReport, InstalledPackage, WhitelistView } from "./types.js";

/**
 * What operators do besides installing: read what is installed and what was logged, edit the whitelist, resolve
 * approvals, grant vulnerability overrides, and check the set-up. Each change is itself an audit record.
 */
export class OperatorService {
  private readonly now: () => Date;

  constructor(
    private readonly deps: Pick<
      ServiceDeps,
      "config" | "whitelist" | "audit" | "python" | "approvals" | "overrides" | "scan" | "now"
    > & {
      exposure: ExposureService;
      npm?: NpmComponents;
      /** The scan service npm trees go to (the Python one when it is the offline database). */
      npmScan?: ServiceDeps["scan"];
    },
  ) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Fetches (or reads) an OSV ecosystem zip into the managed database, then re-scans what is installed. */
  async advisoriesUpdate(
    input: { from?: string; ecosystem?: Ecosystem; force?: boolean; rescan?: boolean },
    caller: CallerContext,
  ): Promise<AdvisoryUpdateResult> {
    return updateAdvisories({ ...this.deps, now: this.now }, input, caller);
  }

  async advisoriesStatus(): Promise<AdvisoryStatus> {
    return advisoryStatus({ ...this.deps, now: this.now });
  }

  /** Which skills hold which vulnerable or malicious pins (as of the last re-scan), and which fixes exist. */
  async exposure(options: { skill?: string; rescan?: boolean } = {}): Promise<ExposureReport> {
    if (options.rescan) await this.deps.exposure.rescan("requested");
    return this.deps.exposure.report(options.skill);
  }

  async rescan(trigger = "requested"): Promise<RescanSummary> {
    return this.deps.exposure.rescan(trigger);
  }

  async quarantine(
    skill: string,
    reason: string | undefined,
    caller: CallerContext,
  ): Promise<QuarantineRecord & { already: boolean }> {
    return quarantineSkill({ ...this.deps, now: this.now }, skill, reason, caller);
  }

  async quarantineRelease(
    skill: string,
    mode: ReleaseMode,
    caller: CallerContext,
  ): Promise<QuarantineRecord & { mode: ReleaseMode }> {
    return releaseSkill({ ...this.deps, now: this.now }, skill, mode, caller);
  }

  async quarantineList(): Promise<QuarantineRecord[]> {
    return this.deps.python.quarantined();
  }

  async installed(skill?: string): Promise<InstalledPackage[]> {
    return this.deps.python.installed(skill === undefined ? undefined : this.deps.python.validateSkill(skill));
  }

  async installations(query: AuditQuery): Promise<AuditRecord[]> {
    return this.deps.audit.query(query);
  }

  async verifyAudit(): Promise<VerifyResult> {
    return this.deps.audit.verify();
  }

  async whitelistList(maturity: Maturity, category?: string, ecosystem: Ecosystem = "PyPI"): Promise<WhitelistView[]> {
    const whitelist = await this.deps.whitelist.current();
    return whitelist
      .visibleAt(maturity, ecosystem)
      .filter((e) => category === undefined || e.category === category)
      .map(toView);
  }

  async listForAgent(
    agentId: string | null,
    category?: string,
    ecosystem: Ecosystem = "PyPI",
  ): Promise<{ maturity: Maturity; ecosystem: Ecosystem; packages: WhitelistView[] }> {
    const maturity = resolveMaturity(this.deps.config, agentId ?? undefined);
    return { maturity, ecosystem, packages: await this.whitelistList(maturity, category, ecosystem) };
  }

  async whitelistAdd(entry: Record<string, unknown>, caller: CallerContext): Promise<WhitelistView> {
    const created = await this.deps.whitelist.add(entry);
    await this.deps.audit.append({
      source: caller.source,
      client: caller.client ?? null,
      status: "whitelist_changed",
      ecosystem: created.ecosystem,
      package: created.package,
      maturity: created.maturity,
      details: { action: "add", entry: created },
    });
    return toView(created);
  }

  async whitelistRemove(
    pkg: string,
    maturity: Maturity | undefined,
    caller: CallerContext,
    ecosystem: Ecosystem = "PyPI",
  ): Promise<{ removed: boolean; package: string; ecosystem: Ecosystem; stillInstalledIn: string[] }> {
    const name = ecosystem === "npm" ? npmName(pkg) : parseRequest(pkg, undefined).name;
    const removed = await this.deps.whitelist.remove(name, maturity, ecosystem);
    const stillInstalledIn =
      ecosystem === "npm"
        ? [
            ...new Set(
              (await (this.deps.npm?.installed() ?? [])).filter((p) => p.package === name).map((p) => p.component),
            ),
          ]
        : [...new Set((await this.installed()).filter((p) => p.package === name).map((p) => p.skill))];
    await this.deps.audit.append({
      source: caller.source,
      client: caller.client ?? null,
      status: "whitelist_changed",
      ecosystem,
      package: name,
      maturity: maturity ?? null,
      details: { action: "remove", removed, stillInstalledIn },
    });
    return { removed, package: name, ecosystem, stillInstalledIn };
  }

  async doctor(): Promise<DoctorReport & { npm?: NpmDoctorReport }> {
    const report = await runDoctor(this.deps.config, this.deps.python, this.deps.scan);
    if (!this.deps.npm) return report;
    const used = (await this.deps.whitelist.current()).names("npm").length > 0;
    const npm = await npmDoctor(this.deps.config, await this.deps.npm.npm(), used, this.deps.npmScan ?? this.deps.scan);
    return { ...report, ok: report.ok && npm.ok, fixes: [...report.fixes, ...npm.fixes], npm };
  }

  async overridesList(): Promise<(VulnerabilityOverride & { live: boolean })[]> {
    return this.deps.overrides.list();
  }

  async overridesAdd(input: OverrideInput, caller: CallerContext): Promise<VulnerabilityOverride> {
    // An npm override names a component, which follows the skill id rule.
    const skill =
      input.ecosystem === "npm" && this.deps.npm
        ? this.deps.npm.validateComponent(input.skill)
        : this.deps.python.validateSkill(input.skill);
    const override = await this.deps.overrides.add({ ...input, skill }, caller.client ?? caller.source);
    await this.deps.audit.append({
      source: caller.source,
      client: caller.client ?? null,
      status: "approval_resolved",
      skillId: skill,
      ecosystem: override.ecosystem ?? null,
      package: override.package,
      version: override.version,
      reason: `vulnerability override ${override.id} until ${override.expires}: ${override.reason}`,
      vulnerabilities: override.advisories,
      details: { override },
    });
    return override;
  }

  async approvalsList(status?: ApprovalFilter): Promise<ApprovalView[]> {
    return this.deps.approvals.list(status);
  }

  async approvalsResolve(
    id: string,
    decision: "approve" | "deny",
    options: { ttlHours?: number; note?: string },
    caller: CallerContext,
  ): Promise<Approval> {
    const who = caller.client ?? caller.source;
    const approval = await this.deps.approvals.resolve(id, decision, { who, ...options });
    await this.deps.audit.append({
      source: caller.source,
      client: caller.client ?? null,
      status: "approval_resolved",
      agentId: approval.agentId,
      skillId: approval.skill,
      package: approval.package,
      reason:
        `${decision === "approve" ? "approved" : "denied"} ` +
        `${approval.id}${options.note ? `: ${options.note}` : ""}`,
      details: { approvalId: approval.id, decision, specifier: approval.specifier, expiresAt: approval.expiresAt },
    });
    return approval;
  }
}

const npmName = (raw: string): string => {
  const problem = npmNameProblem(raw);
  if (problem === null) return raw;
  throw new PackageGuardError("INVALID_REQUIREMENT", `'${String(raw).slice(0, 100)}' is not an npm name: ${problem}`, {
    details: { reason: "name" },
  });
};
