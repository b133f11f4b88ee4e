import type { AuditLog } from "../audit/log.js";
import type { Maturity, PackageGuardConfig } from "../config.js";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import type { Approval, ApprovalStore } from "../policy/approvals.js";
import { evaluate, type PolicyDecision } from "../policy/decide.js";
import { resolveMaturity } from "../policy/maturity.js";
import { normalizeName } from "../policy/names.js";
import type { OverrideStore } from "../policy/overrides.js";
import { mentionsPrerelease, specifierContains } from "../policy/ranges.js";
import { parseRequest } from "../policy/request.js";
import { formatRequirement } from "../policy/requirement.js";
import type { WhitelistSources } from "../policy/whitelist-sources.js";
import type { Whitelist } from "../policy/whitelist.js";
import type { Pin, PythonEnvironment, SkillVenv, Wanted } from "../python/environment.js";
import type { VulnerabilityScanService } from "../scan/scan-service.js";
import { pypiPins } from "../scan/types.js";
import { applyOverrides, type OverrideSplit } from "./apply-overrides.js";
import { installRecords } from "./install-records.js";
import { auditFromError, buildResources, describeFindings, maliciousError } from "./results.js";
import type {
  CallerContext,
  CheckResult,
  InstallRequest,
  InstallResult,
  ProgressFn,
  UninstallRequest,
  VulnerabilityFinding,
} from "./types.js";
import { vetRequirements, type VetInput, type VetResult } from "./vetting.js";

export type ServiceDeps = {
  config: PackageGuardConfig;
  whitelist: WhitelistSources;
  audit: AuditLog;
  scan: () => Promise<VulnerabilityScanService>;
  python: PythonEnvironment;
  approvals: ApprovalStore;
  overrides: OverrideStore;
  now?: () => Date;
};

/** The pipeline of DESIGN.md: the only place that sequences policy, resolve, scan, install and audit. */
export class PackageService {
  private readonly config: PackageGuardConfig;
  private readonly now: () => Date;

  constructor(private readonly deps: ServiceDeps) {
    this.config = deps.config;
    this.now = deps.now ?? (() => new Date());
  }

  maturityOf(agentId: string | null | undefined): Maturity {
    return resolveMaturity(this.config, agentId ?? undefined);
  }

  /** Steps 1-3: parse and policy. Used by install, by `check` and by the skill vetting surfaces. */
  async decide(raw: string, version: string | undefined, maturity: Maturity): Promise<PolicyDecision> {
    const parsed = parseRequest(raw, version);
    return evaluate(await this.deps.whitelist.current(), parsed, maturity);
  }

  /**
   * Steps 1-3 without side effects: a package that needs approval is APPROVAL_REQUIRED unless a live grant exists for
   * the agent and skill given (no pending approval is created: only an install asks for one).
   */
  async check(
    raw: string,
    who: { agentId?: string | null; maturity?: Maturity; skill?: string },
  ): Promise<CheckResult> {
    const maturity = who.maturity ?? this.maturityOf(who.agentId);
    try {
      const d = await this.decide(raw, undefined, maturity);
      const base = { package: d.requirement.name, specifier: d.effectiveSpecifier, maturity };
      if (!d.requiresApproval) return { allowed: true, message: "Allowed", ...base, requiresApproval: false };
      const skill = who.skill === undefined ? undefined : this.deps.python.validateSkill(who.skill);
      const grant =
        skill === undefined
          ? undefined
          : await this.deps.approvals.grantFor({
              agentId: who.agentId ?? null,
              skill,
              package: d.requirement.name,
              specifier: d.effectiveSpecifier,
            });
      if (grant) {
        return {
          allowed: true,
          message: `Allowed: approval ${grant.id} grants it until ${grant.expiresAt}`,
          ...base,
          requiresApproval: true,
          approvalId: grant.id,
        };
      }
      const whose = `${who.agentId ? `agent '${who.agentId}'` : "this caller"} in skill '${skill ?? "?"}'`;
      return {
        allowed: false,
        code: "APPROVAL_REQUIRED",
        message:
          `Package '${d.requirement.name}' needs operator approval for ${maturity} agents` +
          (skill === undefined
            ? `; pass --skill (and --agent) to look for a live grant`
            : ` and no live grant exists for ${whose}`) +
          `. An install request creates a pending approval; an operator approves it with 'approvals resolve'.`,
        ...base,
        requiresApproval: true,
      };
    } catch (error) {
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
    }
  }

  async install(
    request: InstallRequest,
    caller: CallerContext,
    onProgress?: ProgressFn,
    signal?: AbortSignal,
  ): Promise<InstallResult> {
    const started = this.now();
    // A hook's install has no agent: the operator's hooks.maturity applies, as it did when the skill was vetted.
    const maturity = caller.source === "hook" ? this.config.hooks.maturity : this.maturityOf(caller.agentId);
    const base = {
      source: caller.source,
      agentId: caller.agentId ?? null,
      sessionKey: caller.sessionKey ?? null,
      client: caller.client ?? null,
      maturity,
      // Raw: whatever an agent sent (even an object nested 100,000 deep) is the audit log's to bound and record.
      requested: request.package as unknown,
      skillId: typeof request.skill === "string" ? request.skill : null,
    };
    const claimed = request.claimedMaturity === undefined ? {} : { claimedMaturity: request.claimedMaturity };
    let decision: PolicyDecision | undefined;
    let grant: Approval | undefined;
    try {
      onProgress?.(
        "checking",
        `Checking ${typeof request.package === "string" ? request.package : "the request"} against the ${maturity} ` +
          `whitelist`,
      );
      const skill = this.deps.python.validateSkill(request.skill);
      decision = await this.decide(request.package, request.version, maturity);
      if (decision.requiresApproval) grant = await this.requireApproval(decision, maturity, skill, caller);
      const whitelist = await this.deps.whitelist.current();
      const result = await this.deps.python.withSkill(skill, async (venv) => {
        const previous = await venv.state();
        const wanted = {
          ...previous.requirements,
          [decision!.requirement.name]: {
            specifier: decision!.effectiveSpecifier,
            extras: decision!.requirement.extras,
            requestedAt: started.toISOString(),
          },
        };
        onProgress?.(
          "resolving",
          `Resolving ${formatRequirement({ ...decision!.requirement, specifier: decision!.effectiveSpecifier })} and ` +
            `its dependencies`,
        );
        const pins = await this.resolveWithinWhitelist(venv, wanted, whitelist, maturity, signal);
        // 4b: yanked releases and releases inside the cooldown are refused, whatever the resolver made of them.
        const files = await venv.checkReleases(pins, signal);
        onProgress?.("scanning", `Scanning ${pins.length} package(s) for known vulnerabilities`);
        const scan = await (await this.deps.scan()).scan(pypiPins(pins), signal);
        if (scan.malware.length > 0) throw maliciousError(decision!.requirement.name, scan.malware);
        const { blocking, overridden } = await this.applyOverrides(skill, scan.findings);
        if (blocking.length > 0) {
          throw new PackageGuardError(
            "VULNERABLE",
            `Installing ${decision!.requirement.name} would bring ${describeFindings(blocking)}. Request a fixed ` +
              `version, or ask an operator for an override (packages.overrides.add).`,
            { details: { package: decision!.requirement.name, vulnerabilities: blocking } },
          );
        }
        onProgress?.("installing", `Installing ${pins.length} package(s) into skill '${skill}'`);
        const installed = await venv.apply(
          pins,
          wanted,
          { operation: "install", package: decision!.requirement.name },
          signal,
        );
        // The record only feeds SBOMs and exports; the packages are in, so failing to write it fails nothing.
        await venv
          .recordInstall(installed, installRecords(installed, files, scan, overridden, this.now()))
          .catch(() => undefined);
        return { pins, scan, installed, venv, overridden };
      });
      const pin = result.installed.find((p) => p.name === decision!.requirement.name);
      if (!pin)
        throw new PackageGuardError(
          "INSTALL_FAILED",
          `${decision.requirement.name} is not in the virtualenv after the install`,
        );
      const out: InstallResult = {
        package: pin.name,
        version: pin.version,
        skill: result.venv.skill,
        python: result.venv.python,
        installPath: result.venv.dir,
        dependencies: result.installed.map((p) => ({ name: p.name, version: p.version })),
        // Findings an operator override let through are still vulnerabilities in the venv: counted and named.
        vulnerabilitiesFound: result.overridden.length,
        ignoredVulnerabilities: [
          ...result.scan.ignored.map((i) => ({
            id: i.finding.id,
            package: i.finding.package,
            version: i.finding.version,
            reason: i.rule.reason,
            expires: i.rule.expires,
          })),
          ...result.overridden.map(({ finding, override }) => ({
            id: finding.id,
            package: finding.package,
            version: finding.version,
            reason: `override ${override.id}: ${override.reason}`,
            expires: override.expires,
          })),
        ],
        resources: buildResources(result.installed, whitelist, maturity),
        scan: {
          scanner: result.scan.scannerId,
          fromCache: result.scan.fromCache,
          scanned: result.scan.scanned,
          source: result.scan.source,
        },
        installedAt: this.now().toISOString(),
        durationMs: this.now().getTime() - started.getTime(),
      };
      await this.deps.audit.append({
        ...base,
        package: out.package,
        version: out.version,
        status: "completed",
        vulnerabilitiesFound: out.vulnerabilitiesFound,
        vulnerabilities: result.overridden.map((o) => o.finding.id),
        durationMs: out.durationMs,
        details: {
          ...claimed,
          dependencies: out.dependencies,
          ignored: out.ignoredVulnerabilities,
          scan: out.scan,
          ...(grant ? { approvalId: grant.id } : {}),
          ...(result.overridden.length > 0
            ? {
                overrides: result.overridden.map((o) => ({
                  override: o.override.id,
                  advisory: o.finding.id,
                  by: o.override.createdBy,
                })),
              }
            : {}),
        },
      });
      return out;
    } catch (error) {
      const e = toPackageGuardError(error);
      // A denial before the decision (not whitelisted, bad range) still names the package when it could be parsed.
      const named = decision?.requirement.name ?? (typeof e.details?.package === "string" ? e.details.package : null);
      const failure = auditFromError(e);
      await this.deps.audit.append({
        ...base,
        package: named,
        ...failure,
        ...(request.claimedMaturity === undefined ? {} : { details: { ...failure.details, ...claimed } }),
        durationMs: this.now().getTime() - started.getTime(),
      });
      throw e;
    }
  }

  /** Issue 5: for each dependency a skill declares, the policy, resolve and scan of an install, installing nothing. */
  async vetSkill(input: VetInput, signal?: AbortSignal): Promise<VetResult> {
    const ctx = {
      ...this.deps,
      now: this.now,
      decide: (raw: string, maturity: Maturity) => this.decide(raw, undefined, maturity),
      applyOverrides: (skill: string, findings: VulnerabilityFinding[]) => this.applyOverrides(skill, findings),
      resolveWithinWhitelist: (
        venv: SkillVenv,
        wanted: Wanted,
        whitelist: Whitelist,
        maturity: Maturity,
        s?: AbortSignal,
      ) => this.resolveWithinWhitelist(venv, wanted, whitelist, maturity, s),
    };
    return vetRequirements(ctx, { ...input, maturity: input.maturity ?? this.config.hooks.maturity }, signal);
  }

  /**
   * After a vet allowed them: each dependency through the normal install (one at a time), unless hooks.preinstall is
   * off.
   */
  async preinstallSkill(
    skill: string,
    requirements: readonly string[],
    caller: CallerContext,
  ): Promise<{ requirement: string; result?: InstallResult; error?: PackageGuardError }[]> {
    if (!this.config.hooks.preinstall) return [];
    const out: { requirement: string; result?: InstallResult; error?: PackageGuardError }[] = [];
    for (const requirement of requirements) {
      out.push(
        await this.install({ package: requirement, skill }, caller).then(
          (result) => ({ requirement, result }),
          (error: unknown) => ({ requirement, error: toPackageGuardError(error) }),
        ),
      );
    }
    return out;
  }

  async uninstall(
    request: UninstallRequest,
    caller: CallerContext,
  ): Promise<{ removed: string[]; skill: string; package: string }> {
    const started = this.now();
    const base = {
      source: caller.source,
      agentId: caller.agentId ?? null,
      client: caller.client ?? null,
      requested: request.package as unknown,
      skillId: typeof request.skill === "string" ? request.skill : null,
    };
    let name: string | null = null;
    try {
      const skill = this.deps.python.validateSkill(request.skill);
      name = parseRequest(request.package, undefined).name;
      const removed = await this.deps.python.withSkill(skill, async (venv) => {
        const previous = await venv.state();
        if (!Object.hasOwn(previous.requirements, name!)) {
          throw new PackageGuardError(
            "NOT_FOUND",
            `Package '${name}' was not installed by request in skill '${skill}'`,
            { details: { package: name, skill } },
          );
        }
        const wanted = { ...previous.requirements };
        delete wanted[name!];
        const pins = Object.keys(wanted).length === 0 ? [] : await venv.resolve(wanted, undefined, previous.pins);
        const after = await venv.apply(pins, wanted, { operation: "uninstall", package: name! });
        await venv.recordInstall(after, {}).catch(() => undefined);
        const kept = new Set(after.map((p) => p.name));
        return previous.pins.filter((p) => !kept.has(p.name)).map((p) => p.name);
      });
      await this.deps.audit.append({
        ...base,
        package: name,
        status: "uninstalled",
        durationMs: this.now().getTime() - started.getTime(),
        details: { removed },
      });
      return { removed, skill, package: name };
    } catch (error) {
      const e = toPackageGuardError(error);
      await this.deps.audit.append({
        ...base,
        package: name,
        ...auditFromError(e),
        durationMs: this.now().getTime() - started.getTime(),
      });
      throw e;
    }
  }

  /** At start: roll back installs a crash interrupted, and account for each in the audit log. */
  async recover(): Promise<number> {
    const recovered = await this.deps.python.recoverInterrupted();
    for (const r of recovered) {
      await this.deps.audit.append({
        source: "system",
        status: "interrupted",
        skillId: r.skill,
        package: r.package,
        reason: r.ok
          ? `An ${r.operation} was interrupted; the previous package set was restored`
          : `An ${r.operation} was interrupted and the rollback failed: ${r.problem}`,
        details: { txId: r.txId, restored: r.ok },
      });
    }
    return recovered.length;
  }

  /**
   * A live grant for exactly this agent, skill, package and range; otherwise a pending approval and APPROVAL_REQUIRED.
   */
  private async requireApproval(
    decision: PolicyDecision,
    maturity: Maturity,
    skill: string,
    caller: CallerContext,
  ): Promise<Approval> {
    const key = {
      agentId: caller.agentId ?? null,
      skill,
      package: decision.requirement.name,
      specifier: decision.effectiveSpecifier,
    };
    const grant = await this.deps.approvals.grantFor(key);
    if (grant) return grant;
    const { approval, created } = await this.deps.approvals.request(key, {
      maturity,
      reason:
        `${caller.source} request by ${caller.agentId ?? caller.client ?? "an operator"} for ` +
        `${formatRequirement({ ...decision.requirement, specifier: decision.effectiveSpecifier })}`,
    });
    throw new PackageGuardError(
      "APPROVAL_REQUIRED",
      `Package '${decision.requirement.name}' needs operator approval before ${maturity} agents may install it into ` +
        `skill '${skill}'. ` +
        `Approval ${approval.id} is ${created ? "now" : "already"} pending: an operator must approve it ` +
        `(packages.approvals.resolve), then retry the same request.`,
      {
        details: {
          package: decision.requirement.name,
          skill,
          maturity,
          specifier: decision.effectiveSpecifier,
          approvalId: approval.id,
        },
      },
    );
  }

  /** Operator overrides for this skill split the findings into those that still block and those let through. */
  private applyOverrides(skill: string, findings: VulnerabilityFinding[]): Promise<OverrideSplit> {
    return applyOverrides(this.deps.overrides, skill, findings, this.now());
  }

  /**
   * DESIGN step 4: a dependency that is itself on the whitelist must land inside its approved range too. The
   * resolver is free at first; when it picks a version outside a range, it runs once more with those ranges as
   * constraints (pandas may want numpy>=1.26 while the whitelist says numpy<2: 1.26.4 satisfies both).
   */
  private async resolveWithinWhitelist(
    venv: SkillVenv,
    wanted: Wanted,
    whitelist: Whitelist,
    maturity: Maturity,
    signal?: AbortSignal,
  ): Promise<Pin[]> {
    const first = await venv.resolve(wanted, signal);
    const violations = this.pinViolations(first, whitelist, maturity);
    if (violations.length === 0) return first;
    const ranges = Object.fromEntries(violations.map((v) => [v.package, v.allowed]));
    let second: Pin[];
    try {
      second = await venv.resolve(wanted, signal, undefined, ranges);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw this.violation(violations[0]!, "and no resolution exists inside the approved range");
    }
    const still = this.pinViolations(second, whitelist, maturity);
    if (still.length > 0) throw this.violation(still[0]!, "");
    return second;
  }

  private pinViolations(
    pins: readonly { name: string; version: string }[],
    whitelist: Whitelist,
    maturity: Maturity,
  ): { package: string; version: string; allowed: string }[] {
    const out: { package: string; version: string; allowed: string }[] = [];
    for (const pin of pins) {
      const entry = whitelist.governing(pin.name, maturity);
      if (
        entry &&
        entry.version !== "" &&
        !specifierContains(entry.version, pin.version, { prereleases: mentionsPrerelease(entry.version) })
      ) {
        out.push({ package: normalizeName(pin.name), version: pin.version, allowed: entry.version });
      }
    }
    return out;
  }

  private violation(v: { package: string; version: string; allowed: string }, why: string): PackageGuardError {
    return new PackageGuardError(
      "CONSTRAINT_VIOLATION",
      `The resolved set needs ${v.package}==${v.version}, outside its approved range ` +
        `'${v.allowed}'${why ? `, ${why}` : ""}`,
      { details: { package: v.package, version: v.version, allowed: v.allowed } },
    );
  }
}
