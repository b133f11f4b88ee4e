import type { AuditLog } from "../audit/log.js";
import type { Maturity, PackageGuardConfig } from "../config.js";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import type { Approval, ApprovalStore } from "../policy/approvals.js";
import { evaluate, type PolicyDecision } from "../policy/decide.js";
import { resolveMaturity } from "../policy/maturity.js";
import type { OverrideStore } from "../policy/overrides.js";
import { parseRequest } from "../policy/request.js";
import { formatRequirement } from "../policy/requirement.js";
import type { WhitelistSources } from "../policy/whitelist-sources.js";
import type { Pin, PythonEnvironment, SkillVenv } from "../python/environment.js";
import type { VulnerabilityScanService } from "../scan/scan-service.js";
import { applyOverrides, type OverrideSplit } from "./apply-overrides.js";
import { planChange, type ChangeRequest, type PlanDeps } from "./change-plan.js";
import type { DelistedAction } from "./delisted.js";
import { installRecords } from "./install-records.js";
import { advisoriesByPin, auditFailed, completedRecord, installResult } from "./outcome.js";
import { approvalCheck, auditFromError, deniedCheck } from "./results.js";
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
import { recordFailure, writeAhead } from "./write-ahead.js";

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
      return approvalCheck(base, grant, {
        what: `Package '${d.requirement.name}'`,
        scopeKind: "skill",
        scope: skill,
        agentId: who.agentId ?? null,
      });
    } catch (error) {
      return deniedCheck(error, maturity);
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
    try {
      onProgress?.(
        "checking",
        `Checking ${typeof request.package === "string" ? request.package : "the request"} against the ${maturity} ` +
          `whitelist`,
      );
      const skill = this.deps.python.validateSkill(request.skill);
      decision = await this.decide(request.package, request.version, maturity);
      const grant = decision.requiresApproval ? await this.requireApproval(decision, maturity, skill, caller) : null;
      const whitelist = await this.deps.whitelist.current();
      const name = decision.requirement.name;
      const requested = { ...decision.requirement, specifier: decision.effectiveSpecifier };
      await writeAhead(this.deps.audit, { ...base, package: name, details: { operation: "install", ...claimed } });
      return await this.deps.python.withSkill(
        skill,
        async (venv) => {
          const previous = await venv.state();
          const wanted = {
            ...previous.requirements,
            [name]: { specifier: requested.specifier, extras: requested.extras, requestedAt: started.toISOString() },
          };
          onProgress?.("resolving", `Resolving ${formatRequirement(requested)} and its dependencies`);
          const plan = await planChange(
            this.planDeps(),
            venv,
            {
              operation: "install",
              skill,
              package: name,
              wanted,
              previous,
              whitelist,
              maturity,
              requireGrant: (pin, specifier) =>
                this.requireDependencyGrant(pin, specifier, name, maturity, skill, caller),
              onProgress,
            },
            signal,
          );
          onProgress?.("installing", `Installing ${plan.pins.length} package(s) into skill '${skill}'`);
          let out: InstallResult | undefined;
          const meta = { operation: "install" as const, package: name, vulnerabilities: advisoriesByPin(plan) };
          const installed = await venv.apply(plan.pins, plan.wanted, meta, signal, async (set) => {
            out = installResult(venv, name, set, plan, whitelist, maturity, started, this.now());
            // Recorded before the change is final: if the log cannot take it, the previous set is restored.
            await this.deps.audit
              .append(completedRecord(base, out, plan, venv, grant, claimed))
              .catch((error: unknown) => {
                throw auditFailed(error);
              });
          });
          // The record only feeds SBOMs and exports; the packages are in, so failing to write it fails nothing.
          if (plan.scan) {
            const records = installRecords(installed, plan.files, plan.scan, plan.overridden, this.now());
            await venv.recordInstall(installed, records).catch(() => undefined);
          }
          return out!;
        },
        {
          onWait: () => onProgress?.("waiting", `Waiting for another change to skill '${skill}' to finish`),
          ...(request.owner ? { owner: { name: request.owner, claim: true } } : {}),
        },
      );
    } catch (error) {
      const e = toPackageGuardError(error);
      // A denial before the decision (not whitelisted, bad range) still names the package when it could be parsed.
      const named = decision?.requirement.name ?? (typeof e.details?.package === "string" ? e.details.package : null);
      const failure = auditFromError(e);
      await recordFailure(this.deps.audit, {
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
      plan: (venv: SkillVenv, request: ChangeRequest, s?: AbortSignal) => planChange(this.planDeps(), venv, request, s),
    };
    return vetRequirements(ctx, { ...input, maturity: input.maturity ?? this.config.hooks.maturity }, signal);
  }

  /**
   * After a vet allowed them: each dependency through the normal install (one at a time), unless hooks.preinstall is
   * off. `owner` is the OpenClaw skill the venv is for.
   */
  async preinstallSkill(
    skill: string,
    requirements: readonly string[],
    caller: CallerContext,
    owner?: string,
  ): Promise<{ requirement: string; result?: InstallResult; error?: PackageGuardError }[]> {
    if (!this.config.hooks.preinstall) return [];
    const out: { requirement: string; result?: InstallResult; error?: PackageGuardError }[] = [];
    for (const requirement of requirements) {
      out.push(
        await this.install({ package: requirement, skill, ...(owner ? { owner } : {}) }, caller).then(
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
  ): Promise<{ removed: string[]; skill: string; package: string; delisted?: DelistedAction[] }> {
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
      const removedName = parseRequest(request.package, undefined).name;
      name = removedName;
      const whitelist = await this.deps.whitelist.current();
      await writeAhead(this.deps.audit, { ...base, package: name, details: { operation: "uninstall" } });
      return await this.deps.python.withSkill(skill, async (venv) => {
        const previous = await venv.state();
        if (!Object.hasOwn(previous.requirements, removedName)) {
          throw new PackageGuardError(
            "NOT_FOUND",
            `Package '${removedName}' was not installed by request in skill '${skill}'`,
            { details: { package: removedName, skill } },
          );
        }
        const wanted = { ...previous.requirements };
        delete wanted[removedName];
        const plan = await planChange(this.planDeps(), venv, {
          operation: "uninstall",
          skill,
          package: removedName,
          wanted,
          previous,
          whitelist,
          // An operator's removal: only "is it on the whitelist at all" matters (for delisted requirements).
          maturity: "autonomous",
          requireGrant: () => Promise.reject(new Error("an uninstall brings no new package")),
        });
        let removed: string[] = [];
        const meta = {
          operation: "uninstall" as const,
          package: removedName,
          vulnerabilities: previous.vulnerabilities ?? {},
        };
        const after = await venv.apply(plan.pins, plan.wanted, meta, undefined, async (set) => {
          const kept = new Set(set.map((p) => p.name));
          removed = previous.pins.filter((p) => !kept.has(p.name)).map((p) => p.name);
          await this.deps.audit
            .append({
              ...base,
              package: removedName,
              status: "uninstalled",
              durationMs: this.now().getTime() - started.getTime(),
              details: {
                removed,
                ...(plan.delisted.length > 0 ? { delisted: plan.delisted } : {}),
                ...(venv.rebuilt.length > 0 ? { venvRebuilt: venv.rebuilt } : {}),
              },
            })
            .catch((error: unknown) => {
              throw auditFailed(error);
            });
        });
        await venv.recordInstall(after, {}).catch(() => undefined);
        return {
          removed,
          skill,
          package: removedName,
          ...(plan.delisted.length > 0 ? { delisted: plan.delisted } : {}),
        };
      });
    } catch (error) {
      const e = toPackageGuardError(error);
      await recordFailure(this.deps.audit, {
        ...base,
        package: name,
        ...auditFromError(e),
        durationMs: this.now().getTime() - started.getTime(),
      });
      throw e;
    }
  }

  /**
   * Every entry point calls this first (runtime.ts): changes a crash interrupted are rolled back (or, if they had
   * committed, kept), each recorded in the audit log before and after (recoveryLog). Returns how many were found.
   */
  async recover(): Promise<number> {
    return (await this.deps.python.recoverInterrupted()).length;
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

  /** What the change planner needs from the service. */
  private planDeps(): PlanDeps {
    return {
      config: this.config,
      scan: this.deps.scan,
      applyOverrides: (skill, findings) => this.applyOverrides(skill, findings),
    };
  }

  /** A dependency whose whitelist entry requires approval: a grant for this agent, skill, package and its range. */
  private async requireDependencyGrant(
    pin: Pin,
    specifier: string,
    requested: string,
    maturity: Maturity,
    skill: string,
    caller: CallerContext,
  ): Promise<Approval> {
    const key = { agentId: caller.agentId ?? null, skill, package: pin.name, specifier };
    const grant = await this.deps.approvals.grantFor(key);
    if (grant) return grant;
    const by = pin.via && pin.via.length > 0 ? pin.via.join(", ") : requested;
    const { approval, created } = await this.deps.approvals.request(key, {
      maturity,
      reason:
        `${caller.source} request by ${caller.agentId ?? caller.client ?? "an operator"}: ${pin.name}, pulled in ` +
        `by ${by}`,
    });
    throw new PackageGuardError(
      "APPROVAL_REQUIRED",
      `Installing ${requested} needs the dependency '${pin.name}' (pulled in by ${by}), which needs operator ` +
        `approval before ${maturity} agents may install it into skill '${skill}'. Approval ${approval.id} is ` +
        `${created ? "now" : "already"} pending: an operator must approve it (packages.approvals.resolve), then ` +
        `retry the same request.`,
      {
        details: {
          package: pin.name,
          dependencyOf: pin.via ?? [requested],
          requested,
          skill,
          maturity,
          specifier,
          approvalId: approval.id,
        },
      },
    );
  }
}
