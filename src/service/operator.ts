import type { AuditQuery, AuditRecord, VerifyResult } from "../audit/log.js";
import type { Maturity } from "../config.js";
import { PackageGuardError } from "../errors.js";
import type { ApprovalFilter, Approval, ApprovalView } from "../policy/approvals.js";
import { resolveMaturity } from "../policy/maturity.js";
import type { OverrideInput, VulnerabilityOverride } from "../policy/overrides.js";
import { parseRequest } from "../policy/request.js";
import type { QuarantineRecord, ReleaseMode } from "../python/environment.js";
import type { Ecosystem } from "../scan/types.js";
import { advisoryStatus, updateAdvisories, type AdvisoryStatus, type AdvisoryUpdateResult } from "./advisories.js";
import { runDoctor } from "./doctor.js";
import type { ExposureReport, ExposureService, RescanSummary } from "./exposure.js";
import type { ServiceDeps } from "./pipeline.js";
import { quarantineSkill, releaseSkill } from "./quarantine.js";
import { toView } from "./results.js";
import type { CallerContext, DoctorReport, InstalledPackage, SbomFormat, SbomResult, WhitelistView } from "./types.js";

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
    > & { exposure: ExposureService },
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

  async whitelistList(maturity: Maturity, category?: string): Promise<WhitelistView[]> {
    const whitelist = await this.deps.whitelist.current();
    return whitelist
      .visibleAt(maturity)
      .filter((e) => category === undefined || e.category === category)
      .map(toView);
  }

  async listForAgent(
    agentId: string | null,
    category?: string,
  ): Promise<{ maturity: Maturity; packages: WhitelistView[] }> {
    const maturity = resolveMaturity(this.deps.config, agentId ?? undefined);
    return { maturity, packages: await this.whitelistList(maturity, category) };
  }

  async whitelistAdd(entry: Record<string, unknown>, caller: CallerContext): Promise<WhitelistView> {
    const created = await this.deps.whitelist.add(entry);
    await this.deps.audit.append({
      source: caller.source,
      client: caller.client ?? null,
      status: "whitelist_changed",
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
  ): Promise<{ removed: boolean; package: string; stillInstalledIn: string[] }> {
    const name = parseRequest(pkg, undefined).name;
    const removed = await this.deps.whitelist.remove(name, maturity);
    const stillInstalledIn = [
      ...new Set((await this.installed()).filter((p) => p.package === name).map((p) => p.skill)),
    ];
    await this.deps.audit.append({
      source: caller.source,
      client: caller.client ?? null,
      status: "whitelist_changed",
      package: name,
      maturity: maturity ?? null,
      details: { action: "remove", removed, stillInstalledIn },
    });
    return { removed, package: name, stillInstalledIn };
  }

  /**
   * The SBOM of a skill's venv: CycloneDX 1.6 JSON, or a PEP 751 pylock.toml (`format: "pylock"`). Both come from the
   * skill's records alone; a skill with nothing installed is NOT_FOUND.
   */
  async sbom(skill: string, format: SbomFormat = "cyclonedx"): Promise<SbomResult> {
    const id = this.deps.python.validateSkill(skill);
    const records = await this.deps.python.skillRecords(id);
    if (!records || records.state.pins.length === 0) {
      throw new PackageGuardError("NOT_FOUND", `Skill '${id}' has no installed packages`, { details: { skill: id } });
    }
    const exposure = await this.deps.exposure.report(id);
    const rescan = exposure.scannedAt
      ? {
          scannedAt: exposure.scannedAt,
          scanner: exposure.source?.id ?? "unknown",
          pins: exposure.skills.find((s) => s.skill === id)?.pins ?? [],
        }
      : null;
    const input = { skill: id, ...records, rescan, indexUrl: this.deps.config.index.url, now: this.now() };
    // Loaded when asked for: the CycloneDX library alone adds ~0.1 s to every CLI start and gateway load otherwise.
    if (format === "pylock")
      return { skill: id, format, pylock: (await import("./pylock-export.js")).pylockExport(input) };
    return { skill: id, format, bom: (await import("./sbom.js")).cycloneDxSbom(input) };
  }

  async doctor(): Promise<DoctorReport> {
    return runDoctor(this.deps.config, this.deps.python, this.deps.scan);
  }

  async overridesList(): Promise<(VulnerabilityOverride & { live: boolean })[]> {
    return this.deps.overrides.list();
  }

  async overridesAdd(input: OverrideInput, caller: CallerContext): Promise<VulnerabilityOverride> {
    const skill = this.deps.python.validateSkill(input.skill);
    const override = await this.deps.overrides.add({ ...input, skill }, caller.client ?? caller.source);
    await this.deps.audit.append({
      source: caller.source,
      client: caller.client ?? null,
      status: "approval_resolved",
      skillId: skill,
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
