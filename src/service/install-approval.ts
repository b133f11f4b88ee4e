import type { AuditLog } from "../audit/log.js";
import type { Ecosystem, PackageGuardConfig } from "../config.js";
import { toPackageGuardError } from "../errors.js";
import type { ApprovalKey, ApprovalStore } from "../policy/approvals.js";
import { formatNpmRequest } from "../policy/npm-request.js";
import { formatRequirement } from "../policy/requirement.js";
import type { PythonEnvironment } from "../python/environment.js";
import type { NpmInstallRequest, NpmPackageService } from "./npm-pipeline.js";
import type { PackageService } from "./pipeline.js";
import type { InstallRequest } from "./types.js";

/** OpenClaw's plugin-approval decisions (before_tool_call requireApproval onResolution). */
export type AskResolution = "allow-once" | "allow-always" | "deny" | "timeout" | "cancelled";

/** A request that needs an approval, put to the user through OpenClaw's own approval flow. */
export type InstallAsk = {
  approvalId: string;
  key: ApprovalKey;
  requirement: string;
  /** The package and ecosystem as audit records name them (the key spells an npm package npm:<name>). */
  package: string;
  ecosystem: Ecosystem;
  maturity: string;
  title: string;
  description: string;
  /** What the agent reads if nobody answers: the approval id operators can still resolve. */
  timeoutReason: string;
};

export type AskCaller = { agentId: string | null; sessionKey: string | null };

// An allow-once grant lives until the install it was given for has run (then expire() ends it), at most this long.
const ONCE_TTL_HOURS = 0.25;

/**
 * Approvals for install_package through OpenClaw's plugin approvals (chat /approve, the Control UI), on the same
 * grants packages.approvals.* resolves: a request that needs approval creates (or reuses) the pending approval in
 * approvals.json, the user's answer resolves it, and the pipeline then finds the grant as it always did.
 */
export class InstallApprovalService {
  constructor(
    private readonly deps: {
      config: PackageGuardConfig;
      packages: PackageService;
      npm: NpmPackageService;
      python: PythonEnvironment;
      approvals: ApprovalStore;
      audit: AuditLog;
    },
  ) {}

  get enabled(): boolean {
    return this.deps.config.approvals.ask;
  }

  /** The approval to ask for, or null when the request needs none, already has a grant, or is refused anyway. */
  async ask(request: InstallRequest, caller: AskCaller): Promise<InstallAsk | null> {
    if (!this.enabled) return null;
    const maturity = this.deps.packages.maturityOf(caller.agentId);
    let key: ApprovalKey;
    let requirement: string;
    try {
      const skill = this.deps.python.validateSkill(request.skill);
      const decision = await this.deps.packages.decide(request.package, request.version, maturity);
      if (!decision.requiresApproval) return null;
      requirement = formatRequirement({ ...decision.requirement, specifier: decision.effectiveSpecifier });
      key = {
        agentId: caller.agentId,
        skill,
        package: decision.requirement.name,
        specifier: decision.effectiveSpecifier,
      };
    } catch {
      // A request policy refuses is the tool's to report, with its own code.
      return null;
    }
    return this.askFor(key, requirement, maturity, caller, {
      target: `skill '${key.skill}'`,
      package: key.package,
      ecosystem: "PyPI",
    });
  }

  /**
   * The same for an npm component install: the grant is the npm pipeline's own (package npm:<name>, the component
   * as its scope), so the pipeline finds it after the answer and the two ecosystems never answer for each other.
   */
  async askNpm(request: NpmInstallRequest, caller: AskCaller): Promise<InstallAsk | null> {
    if (!this.enabled) return null;
    const maturity = this.deps.packages.maturityOf(caller.agentId);
    let key: ApprovalKey;
    let requirement: string;
    try {
      const component = this.deps.npm.validateComponent(request.component);
      const decision = await this.deps.npm.decide(request.package, request.version, maturity);
      if (!decision.requiresApproval) return null;
      requirement = `npm ${formatNpmRequest({ name: decision.request.name, range: decision.effectiveRange })}`;
      key = {
        agentId: caller.agentId,
        skill: component,
        package: `npm:${decision.request.name}`,
        specifier: decision.effectiveRange,
      };
    } catch {
      return null;
    }
    return this.askFor(key, requirement, maturity, caller, {
      target: `component '${key.skill}'`,
      package: key.package.slice("npm:".length),
      ecosystem: "npm",
    });
  }

  private async askFor(
    key: ApprovalKey,
    requirement: string,
    maturity: string,
    caller: AskCaller,
    shown: { target: string; package: string; ecosystem: Ecosystem },
  ): Promise<InstallAsk | null> {
    const { target } = shown;
    if (await this.deps.approvals.grantFor(key)) return null;
    const { approval } = await this.deps.approvals
      .request(key, { maturity, reason: `tool request by ${caller.agentId ?? "an agent"} for ${requirement}` })
      .catch((error: unknown) => {
        throw toPackageGuardError(error);
      });
    const who = caller.agentId ?? "an agent";
    await this.deps.audit.append({
      source: "tool",
      status: "approval_requested",
      agentId: caller.agentId,
      sessionKey: caller.sessionKey,
      maturity,
      requested: requirement,
      ecosystem: shown.ecosystem,
      skillId: key.skill,
      package: shown.package,
      reason: `asked through OpenClaw's approvals: ${who} wants ${requirement} in ${target}`,
      details: { approvalId: approval.id, via: "openclaw", specifier: key.specifier },
    });
    return {
      approvalId: approval.id,
      key,
      requirement,
      package: shown.package,
      ecosystem: shown.ecosystem,
      maturity,
      title: `Install ${shown.ecosystem === "npm" ? "npm " : ""}${shown.package} for ${who}`.slice(0, 80),
      description:
        `Agent ${who} (${maturity}) asks to install ${requirement} into ${target}. The whitelist says ` +
        `it needs an operator's approval. Approval ${approval.id}; also resolvable with ` +
        `'openclaw packages approvals resolve ${approval.id} approve'.`,
      timeoutReason:
        `[APPROVAL_REQUIRED] Nobody approved ${requirement} for ${target} in time. Approval ` +
        `${approval.id} stays pending: an operator can approve it (packages.approvals.resolve), then retry the ` +
        `same request.`,
    };
  }

  /** Records the user's answer on the same approval: allow-once and allow-always grant, deny denies. */
  async resolved(ask: InstallAsk, resolution: AskResolution, caller: AskCaller): Promise<void> {
    const by = { who: `openclaw:${caller.agentId ?? "agent"}-session` };
    let outcome: string = resolution;
    try {
      if (resolution === "allow-once")
        await this.deps.approvals.resolve(ask.approvalId, "approve", {
          ...by,
          ttlHours: ONCE_TTL_HOURS,
          note: "allow-once through OpenClaw",
        });
      else if (resolution === "allow-always")
        await this.deps.approvals.resolve(ask.approvalId, "approve", { ...by, note: "allow-always through OpenClaw" });
      else if (resolution === "deny")
        await this.deps.approvals.resolve(ask.approvalId, "deny", { ...by, note: "denied through OpenClaw" });
    } catch (error) {
      // Already resolved by an operator in the meantime: their decision stands.
      outcome = `${resolution} (not applied: ${toPackageGuardError(error).message})`;
    }
    await this.deps.audit.append({
      source: "tool",
      status: "approval_resolved",
      agentId: caller.agentId,
      sessionKey: caller.sessionKey,
      maturity: ask.maturity,
      requested: ask.requirement,
      ecosystem: ask.ecosystem,
      skillId: ask.key.skill,
      package: ask.package,
      reason: `OpenClaw approval ${ask.approvalId}: ${outcome}`,
      details: {
        approvalId: ask.approvalId,
        via: "openclaw",
        decision: resolution,
        ...(resolution === "timeout" || resolution === "cancelled" ? { stillPending: true } : {}),
      },
    });
  }

  /** After the install an allow-once was given for: the grant ends, so the next request asks again. */
  async finished(ask: InstallAsk): Promise<void> {
    await this.deps.approvals.expire(ask.approvalId);
  }
}
