import type { AuditInput, AuditSource } from "../audit/log.js";
import type { Maturity } from "../config.js";
import { type ErrorCode, PackageGuardError, toPackageGuardError } from "../errors.js";
import type { Approval, ApprovalKey } from "../policy/approvals.js";
import type { PolicyDecision } from "../policy/decide.js";
import type { VulnerabilityOverride } from "../policy/overrides.js";
import type { Whitelist } from "../policy/whitelist.js";
import type { Pin, SkillVenv, Wanted } from "../python/environment.js";
import type { ScanOutcome } from "../scan/scan-service.js";
import { pypiPins, recordedId, type AdvisorySourceInfo, type ScanPin } from "../scan/types.js";
import { describeFindings, maliciousError } from "./results.js";
import type { VulnerabilityFinding } from "./types.js";

export type VetSource = Extract<AuditSource, "hook" | "policy">;

export type VetInput = {
  /** The package-guard skill id (the venv that would receive the dependencies). */
  skill: string;
  requirements: string[];
  /** Default: config.hooks.maturity. */
  maturity?: Maturity;
  source: VetSource;
  /** Who asked, for the audit log (e.g. "before_install:skill-upload"). */
  client?: string | null;
  /** Problems reading the skill's declarations (SKILL.md): any of them blocks, and they are audited as one record. */
  problems?: { ruleId: string; message: string }[];
};

export type VetItem = {
  requirement: string;
  /** Passed policy, resolve and scan (it may still need an approval: see requiresApproval). */
  allowed: boolean;
  code?: ErrorCode;
  message: string;
  requiresApproval: boolean;
  /** The PEP 503 name, when the requirement could be parsed. */
  package?: string;
  /** The version the resolver picked, when it got that far. */
  version?: string;
  approvalId?: string;
  /** Known vulnerabilities in the resolved set (VULNERABLE). */
  findings?: VulnerabilityFinding[];
  /** Known vulnerabilities an operator's override for this skill lets through (the install would name them too). */
  overridden?: { advisory: string; package: string; version: string; override: string; expires: string }[];
};

export type VetDecision = "allow" | "warn" | "block";

export type VetResult = {
  skill: string;
  maturity: Maturity;
  decision: VetDecision;
  items: VetItem[];
  problems: number;
  /** The advisory data the scans used (absent when nothing got as far as a scan). */
  source?: AdvisorySourceInfo;
};

/** What vetting needs from the service: the same steps an install takes, minus the install. */
export type VetContext = {
  decide(raw: string, maturity: Maturity): Promise<PolicyDecision>;
  whitelist: { current(): Promise<Whitelist> };
  python: {
    validateSkill(id: unknown): string;
    withSkill<T>(skill: string, fn: (venv: SkillVenv) => Promise<T>): Promise<T>;
  };
  scan(): Promise<{ scan(pins: ScanPin[], signal?: AbortSignal): Promise<ScanOutcome> }>;
  /** The operator overrides for this skill, as an install applies them: which findings still block. */
  applyOverrides(
    skill: string,
    findings: VulnerabilityFinding[],
  ): Promise<{
    blocking: VulnerabilityFinding[];
    overridden: { finding: VulnerabilityFinding; override: VulnerabilityOverride }[];
  }>;
  approvals: {
    grantFor(key: ApprovalKey): Promise<Approval | undefined>;
    request(key: ApprovalKey, d: { maturity: string; reason: string }): Promise<{ approval: Approval }>;
  };
  audit: { append(input: AuditInput): Promise<unknown> };
  resolveWithinWhitelist(
    venv: SkillVenv,
    wanted: Wanted,
    whitelist: Whitelist,
    maturity: Maturity,
    signal?: AbortSignal,
  ): Promise<Pin[]>;
  now(): Date;
};

type Pending = { item: VetItem; decision: PolicyDecision };

const denied = (requirement: string, error: unknown, pkg?: string): VetItem => {
  const e = toPackageGuardError(error);
  const name = pkg ?? (typeof e.details?.package === "string" ? e.details.package : undefined);
  const vulns = e.details?.vulnerabilities as VulnerabilityFinding[] | undefined;
  return {
    requirement,
    allowed: false,
    code: e.code,
    message: e.message,
    requiresApproval: false,
    ...(name ? { package: name } : {}),
    ...(vulns ? { findings: vulns } : {}),
  };
};

const vulnerable = (name: string, findings: VulnerabilityFinding[]): PackageGuardError =>
  new PackageGuardError(
    "VULNERABLE",
    `${name} would bring ${describeFindings(findings)}. Declare a fixed version, or ask an operator for an override.`,
    { details: { package: name, vulnerabilities: findings } },
  );

const cancelled = (): PackageGuardError =>
  new PackageGuardError(
    "SCANNER_UNAVAILABLE",
    "Vetting ran out of time before this dependency was resolved and scanned; retry the install",
    { details: { reason: "cancelled" } },
  );

/** block if anything is denied; warn if something waits for an approval; allow otherwise. */
export const overallDecision = (items: readonly VetItem[]): VetDecision =>
  items.some((i) => !i.allowed) ? "block" : items.some((i) => i.requiresApproval) ? "warn" : "allow";

/** Steps 2-3 for one requirement, then a live grant or a pending approval when its entry needs one. */
const policyStep = async (
  ctx: VetContext,
  raw: string,
  skill: string,
  maturity: Maturity,
  input: VetInput,
): Promise<Pending | VetItem> => {
  let decision: PolicyDecision;
  try {
    decision = await ctx.decide(raw, maturity);
  } catch (error) {
    return denied(raw, error);
  }
  const name = decision.requirement.name;
  const item: VetItem = { requirement: raw, allowed: true, message: "Allowed", requiresApproval: false, package: name };
  if (!decision.requiresApproval) return { item, decision };
  const key = { agentId: null, skill, package: name, specifier: decision.effectiveSpecifier };
  try {
    if (await ctx.approvals.grantFor(key))
      return { item: { ...item, message: "Allowed (an operator approved it)" }, decision };
    const { approval } = await ctx.approvals.request(key, {
      maturity,
      reason: `${input.source} vet of skill '${skill}' for ${raw}`,
    });
    // Deterministic text: an installPolicy "warn" is re-run after the operator confirms and must read the same.
    const message =
      `${name} needs operator approval for skill '${skill}': approval ${approval.id} is pending ` +
      `(packages.approvals.resolve), then install it`;
    return {
      item: { ...item, code: "APPROVAL_REQUIRED", message, requiresApproval: true, approvalId: approval.id },
      decision,
    };
  } catch (error) {
    return denied(raw, error, name);
  }
};

/**
 * Steps 4-5 for every requirement that passed policy, in order, each on top of what the skill's venv already
 * holds plus the earlier ones that would be installed: the set a pre-install would really end up with.
 */
const resolveAndScan = async (
  ctx: VetContext,
  skill: string,
  maturity: Maturity,
  pending: Pending[],
  sources: AdvisorySourceInfo[],
  signal?: AbortSignal,
): Promise<VetItem[]> => {
  const whitelist = await ctx.whitelist.current();
  return ctx.python.withSkill(skill, async (venv) => {
    let wanted: Wanted = { ...(await venv.state()).requirements };
    const out: VetItem[] = [];
    for (const { item, decision } of pending) {
      const name = decision.requirement.name;
      try {
        if (signal?.aborted) throw cancelled();
        const candidate: Wanted = {
          ...wanted,
          [name]: {
            specifier: decision.effectiveSpecifier,
            extras: decision.requirement.extras,
            requestedAt: ctx.now().toISOString(),
          },
        };
        const pins = await ctx.resolveWithinWhitelist(venv, candidate, whitelist, maturity, signal);
        await venv.checkReleases(pins, signal);
        const scan = await (await ctx.scan()).scan(pypiPins(pins), signal);
        sources.push(scan.source);
        if (scan.malware.length > 0) throw maliciousError(name, scan.malware);
        const { blocking, overridden } = await ctx.applyOverrides(skill, scan.findings);
        if (blocking.length > 0) throw vulnerable(name, blocking);
        const version = pins.find((p) => p.name === name)?.version;
        const through = overridden.map(({ finding, override }) => ({
          advisory: finding.id,
          package: finding.package,
          version: finding.version,
          override: override.id,
          expires: override.expires,
        }));
        const passed: VetItem =
          through.length === 0
            ? item
            : {
                ...item,
                message: `Allowed: ${through
                  .map(
                    (o) => `${o.advisory} in ${o.package} ${o.version} by override ${o.override} (until ${o.expires})`,
                  )
                  .join("; ")}`,
                overridden: through,
              };
        out.push(version === undefined ? passed : { ...passed, version });
        if (!item.requiresApproval) wanted = candidate;
      } catch (error) {
        out.push(denied(item.requirement, signal?.aborted ? cancelled() : error, name));
      }
    }
    return out;
  });
};

const auditRecord = (item: VetItem, r: { skill: string | null; maturity: Maturity; input: VetInput }): AuditInput => ({
  source: r.input.source,
  client: r.input.client ?? null,
  skillId: r.skill,
  maturity: r.maturity,
  requested: item.requirement,
  package: item.package ?? null,
  version: item.version ?? null,
  // Vetting installs nothing: "vetted" for a pass, "approval_requested" while a grant is missing, "blocked" for a
  // denial.
  status: !item.allowed ? "blocked" : item.requiresApproval ? "approval_requested" : "vetted",
  code: item.code ?? null,
  reason: item.message,
  vulnerabilitiesFound: item.findings?.length ?? item.overridden?.length ?? 0,
  vulnerabilities: item.findings?.map(recordedId) ?? item.overridden?.map((o) => o.advisory) ?? [],
  details: {
    vet: true,
    ...(item.approvalId ? { approvalId: item.approvalId } : {}),
    ...(item.overridden
      ? { overrides: item.overridden.map((o) => ({ override: o.override, advisory: o.advisory })) }
      : {}),
  },
});

const finish = async (
  ctx: VetContext,
  r: { skill: string | null; maturity: Maturity; input: VetInput },
  items: VetItem[],
  shownSkill?: string,
  source?: AdvisorySourceInfo,
): Promise<VetResult> => {
  const problems = r.input.problems ?? [];
  if (problems.length > 0) {
    await ctx.audit.append({
      source: r.input.source,
      client: r.input.client ?? null,
      skillId: r.skill,
      maturity: r.maturity,
      status: "blocked",
      code: "INVALID_REQUIREMENT",
      reason: problems.map((p) => `${p.ruleId}: ${p.message}`).join("; "),
      details: { vet: true, problems: problems.map((p) => p.ruleId) },
    });
  }
  for (const item of items) await ctx.audit.append(auditRecord(item, r));
  const decision = problems.length > 0 ? "block" : overallDecision(items);
  return {
    skill: r.skill ?? shownSkill ?? "",
    maturity: r.maturity,
    decision,
    items,
    problems: problems.length,
    ...(source ? { source } : {}),
  };
};

/** Policy, resolve and scan for each dependency of a skill, installing nothing; one audit record per dependency. */
export const vetRequirements = async (
  ctx: VetContext,
  input: VetInput & { maturity: Maturity },
  signal?: AbortSignal,
): Promise<VetResult> => {
  const maturity = input.maturity;
  let skill = String(input.skill);
  let items: VetItem[];
  try {
    skill = ctx.python.validateSkill(input.skill);
  } catch (error) {
    return finish(
      ctx,
      { skill: null, maturity, input },
      input.requirements.map((raw) => denied(raw, error)),
      skill,
    );
  }
  const decided: (Pending | VetItem)[] = [];
  for (const raw of input.requirements) decided.push(await policyStep(ctx, raw, skill, maturity, input));
  const pending = decided.filter((d): d is Pending => "decision" in d);
  let resolved: VetItem[] = [];
  const sources: AdvisorySourceInfo[] = [];
  if (pending.length > 0) {
    try {
      resolved = await resolveAndScan(ctx, skill, maturity, pending, sources, signal);
    } catch (error) {
      // The venv or its lock (BUSY): nothing could be resolved, so each of these is denied with that reason.
      resolved = pending.map((p) =>
        denied(p.item.requirement, signal?.aborted ? cancelled() : error, p.decision.requirement.name),
      );
    }
  }
  // Back in the order they were declared.
  items = decided.map((d) => ("decision" in d ? resolved.shift()! : d));
  return finish(ctx, { skill, maturity, input }, items, undefined, sources.at(-1));
};
