import type { AuditInput, AuditQuery, AuditRecord, PruneResult, VerifyResult } from "../audit/log.js";
import type { Ecosystem, Maturity } from "../config.js";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import type { NpmComponents } from "../npm/components.js";
import type { ApprovalFilter, Approval, ApprovalView } from "../policy/approvals.js";
import { resolveMaturity } from "../policy/maturity.js";
import { npmNameProblem } from "../policy/npm-names.js";
import type { OverrideInput, VulnerabilityOverride } from "../policy/overrides.js";
import { parseRequest } from "../policy/request.js";
import type { QuarantineRecord, ReleaseMode } from "../python/environment.js";
import { DATE_RULE, isCalendarDate, startOfUtcDay } from "../util/date.js";
import { redactDeep } from "../util/redact.js";
import { advisoryStatus, updateAdvisories, type AdvisoryStatus, type AdvisoryUpdateResult } from "./advisories.js";
import { whitelistChecks } from "./doctor-whitelist.js";
import { DOCTOR_SECTIONS, runDoctor } from "./doctor.js";
import type { ExposureReport, ExposureService, RescanSummary } from "./exposure.js";
import { npmDoctor, npmDoctorChecks, type NpmDoctorReport } from "./npm-doctor.js";
import type { ServiceDeps } from "./pipeline.js";
import { quarantineSkill, releaseSkill } from "./quarantine.js";
import { toView } from "./results.js";
import type {
  CallerContext,
  DoctorCheck,
  DoctorReport,
  InstalledPackage,
  SbomFormat,
  SbomResult,
  WhitelistView,
} from "./types.js";

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
    // Records written before credentials were masked at append time are masked on the way out.
    return redactDeep(await this.deps.audit.query(query));
  }

  /** A record from a gate that decides outside the pipeline (the shell gate). */
  async record(input: AuditInput): Promise<AuditRecord> {
    return this.deps.audit.append(input);
  }

  async verifyAudit(): Promise<VerifyResult> {
    return this.deps.audit.verify();
  }

  /**
   * An operator's deletion of archived audit files holding only records before `before` (YYYY-MM-DD): itself a
   * record, written before anything is removed. Live and rotated files are never pruned.
   */
  async pruneAudit(before: string, caller: CallerContext): Promise<PruneResult> {
    if (!isCalendarDate(before))
      throw new PackageGuardError("CONFIG_INVALID", `'before' must be ${DATE_RULE}, got '${before}'`);
    return this.deps.audit.prune(new Date(startOfUtcDay(before)), {
      source: caller.source,
      client: caller.client ?? null,
    });
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

  /** Every whitelist change, and every refused attempt at one, is an audit record (by RPC, CLI or any caller). */
  async whitelistAdd(entry: Record<string, unknown>, caller: CallerContext): Promise<WhitelistView> {
    return this.recordWhitelistChange(
      "add",
      caller,
      { package: entry.package ?? entry.package_name ?? null, maturity: entry.maturity ?? null, entry },
      async () => {
        const created = await this.deps.whitelist.add(entry);
        return {
          result: toView(created),
          record: {
            package: created.package,
            ecosystem: created.ecosystem,
            maturity: created.maturity,
            details: { entry: created },
          },
        };
      },
    );
  }

  async whitelistRemove(
    pkg: string,
    maturity: Maturity | undefined,
    caller: CallerContext,
    ecosystem: Ecosystem = "PyPI",
  ): Promise<{ removed: boolean; package: string; ecosystem: Ecosystem; stillInstalledIn: string[] }> {
    const attempted = { package: pkg, maturity: maturity ?? null, ecosystem };
    return this.recordWhitelistChange("remove", caller, attempted, async () => {
      const name = ecosystem === "npm" ? npmName(pkg) : parseRequest(pkg, undefined).name;
      const removed = await this.deps.whitelist.remove(name, maturity, ecosystem);
      const installedIn =
        ecosystem === "npm"
          ? (await (this.deps.npm?.installed() ?? [])).filter((p) => p.package === name).map((p) => p.component)
          : (await this.installed()).filter((p) => p.package === name).map((p) => p.skill);
      const stillInstalledIn = [...new Set(installedIn)];
      return {
        result: { removed, package: name, ecosystem, stillInstalledIn },
        record: { package: name, ecosystem, maturity: maturity ?? null, details: { removed, stillInstalledIn } },
      };
    });
  }

  private async recordWhitelistChange<T>(
    action: "add" | "remove",
    caller: CallerContext,
    attempted: { package: unknown; maturity: unknown; entry?: unknown; ecosystem?: Ecosystem },
    change: () => Promise<{
      result: T;
      record: { package: string; ecosystem: Ecosystem; maturity: string | null; details: Record<string, unknown> };
    }>,
  ): Promise<T> {
    const who = { source: caller.source, client: caller.client ?? null, agentId: caller.agentId ?? null };
    try {
      const { result, record } = await change();
      await this.deps.audit.append({
        ...who,
        status: "whitelist_changed",
        ecosystem: record.ecosystem,
        package: record.package,
        maturity: record.maturity,
        details: { action, ...record.details },
      });
      return result;
    } catch (error) {
      const e = toPackageGuardError(error);
      if (e.code !== "AUDIT_UNAVAILABLE")
        await this.deps.audit.append({
          ...who,
          status: "blocked",
          code: e.code,
          reason: `whitelist ${action} refused: ${e.message}`,
          requested: attempted.package,
          ecosystem: attempted.ecosystem ?? null,
          maturity: typeof attempted.maturity === "string" ? attempted.maturity : null,
          details: { action, ...(attempted.entry === undefined ? {} : { entry: attempted.entry }) },
        });
      throw e;
    }
  }

  /**
   * The health check; `hostAgents` are the gateway's agent ids when the caller knows them. npm's rows (the npm
   * executable, registry and scanner) are one more section; its full report rides along as `npm`.
   */
  async doctor(
    hostAgents: readonly string[] | null = null,
    signal?: AbortSignal,
  ): Promise<DoctorReport & { npm?: NpmDoctorReport }> {
    const ctx = {
      config: this.deps.config,
      python: this.deps.python,
      whitelist: this.deps.whitelist,
      scan: this.deps.scan,
      hostAgents,
      ...(signal ? { signal } : {}),
    };
    if (!this.deps.npm) return runDoctor(ctx);
    // A whitelist that does not load is the whitelist section's failure; npm is then checked as if it were needed.
    const used = await this.deps.whitelist.current().then(
      (w) => w.names("npm").length > 0,
      () => true,
    );
    const npm = await npmDoctor(this.deps.config, await this.deps.npm.npm(), used, this.deps.npmScan ?? this.deps.scan);
    const npmSection = async (): Promise<DoctorCheck[]> => npmDoctorChecks(npm, this.deps.config.npm.npm);
    // SECURITY: the registry URL may carry credentials; runDoctor masks its own report, this part likewise.
    return { ...(await runDoctor(ctx, [...DOCTOR_SECTIONS, npmSection])), npm: redactDeep(npm) };
  }

  /** At start: what makes installs fail that needs no network to find (the whitelist's sources and ranges). */
  async startupProblems(): Promise<string[]> {
    const checks = await whitelistChecks({
      config: this.deps.config,
      python: this.deps.python,
      whitelist: this.deps.whitelist,
      scan: this.deps.scan,
      hostAgents: null,
      indexReachable: false,
    });
    return checks
      .filter((c) => c.status === "fail")
      .map((c) => `package-guard: ${c.check}: ${c.detail}${c.fix ? `. Fix: ${c.fix}` : ""}`);
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
