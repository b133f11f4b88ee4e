import type { BundleDependencies } from "../skills/bundle.js";
import { critical, finding, SKILL_MD, type Declared, type SkillFinding } from "../skills/findings.js";
import { skillIdFromName } from "../skills/skill-id.js";
import { vetNodeInstallers, type NodeVetter } from "./vet-node.js";
import type { VetDecision, VetInput, VetItem, VetResult, VetSource } from "./vetting.js";

/** What both OpenClaw install gates (before_install and installPolicy) say about one install. */
export type InstallTarget = {
  targetType: string;
  targetName: string;
  sourcePath: string;
  sourcePathKind: string;
  /** Set for a skill dependency installer run (`skills.install {name, installId}`). */
  installSpec?: { kind?: unknown; package?: unknown } | undefined;
};

export type SkillVetter = NodeVetter & { vetSkill(input: VetInput, signal?: AbortSignal): Promise<VetResult> };

export type Verdict = {
  decision: VetDecision;
  /** Required by OpenClaw for warn and block. */
  reason?: string;
  findings: SkillFinding[];
  /** The package-guard skill id the dependencies were vetted for. */
  skill: string | null;
  /** Requirements that passed and need no approval: what a pre-install may install (whole-skill installs only). */
  preinstall: string[];
  /** The OpenClaw skill (its name) the venv belongs to: a pre-install goes into that skill's venv only. */
  owner?: string;
};

// OpenClaw truncates a policy reason at 1,000 characters and fails a "warn" closed when its notice exceeds 4,000.
const MAX_REASON = 900;
const MAX_FINDING_MESSAGE = 300;
const MAX_FINDINGS_CHARS = 2_400;

const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export const ALLOW: Verdict = { decision: "allow", findings: [], skill: null, preinstall: [] };

export const blockVerdict = (reason: string, findings: SkillFinding[] = [], skill: string | null = null): Verdict => ({
  decision: "block",
  reason: cut(reason, MAX_REASON),
  findings,
  skill,
  preinstall: [],
});

const ruleFor = (item: VetItem): string => (item.code ?? "denied").toLowerCase().replace(/_/g, "-");

const itemFinding = (item: VetItem, where: Declared | undefined): SkillFinding | null => {
  if (item.allowed && !item.requiresApproval) return null;
  const severity = item.allowed ? "warn" : "critical";
  const message = cut(`${item.requirement}: ${item.message}`, MAX_FINDING_MESSAGE);
  return finding(ruleFor(item), severity, message, where?.line ?? 1, where?.file ?? SKILL_MD);
};

/** Keeps the findings inside OpenClaw's display limits; the last one says how many were left out. */
const bounded = (findings: SkillFinding[]): SkillFinding[] => {
  const out: SkillFinding[] = [];
  let used = 0;
  for (const [i, f] of findings.entries()) {
    const size = f.message.length + f.ruleId.length + 40;
    if (used + size > MAX_FINDINGS_CHARS) {
      out.push(
        finding(
          "more-findings",
          f.severity === "critical" || out.some((o) => o.severity === "critical") ? "critical" : "warn",
          `${findings.length - i} more finding(s) not shown; see packages.installations for all of them`,
        ),
      );
      break;
    }
    out.push(f);
    used += size;
  }
  return out;
};

const toVerdict = (name: string, deps: BundleDependencies, result: VetResult, wholeSkill: boolean): Verdict => {
  const itemFindings = result.items
    .map((item, i) => itemFinding(item, deps.declared[i]))
    .filter((f): f is SkillFinding => f !== null);
  const findings = bounded([...deps.findings, ...itemFindings]);
  const skill = result.skill || null;
  if (result.decision === "block") {
    const failures = [
      ...deps.findings.filter((f) => f.severity === "critical").map((f) => `${f.message} (${f.file}:${f.line})`),
      ...result.items
        .map((item, i) => ({ item, where: deps.declared[i] }))
        .filter(({ item }) => !item.allowed)
        .map(({ item, where }) => `${item.requirement}${fromFile(where)}: [${item.code ?? "DENIED"}] ${item.message}`),
    ];
    return blockVerdict(`package-guard blocked skill '${name}': ${failures.join("; ")}`, findings, skill);
  }
  // A requirement under an environment marker was vetted as if the marker held; whether it does is the skill's
  // interpreter's business at run time, so it is not installed ahead of time.
  const preinstall = wholeSkill
    ? result.items
        .filter((item, i) => item.allowed && !item.requiresApproval && deps.declared[i]?.conditional !== true)
        .map((item) => item.requirement)
    : [];
  if (result.decision === "warn") {
    const waiting = result.items
      .filter((i) => i.requiresApproval)
      .map((i) => `${i.package ?? i.requirement} (approval ${i.approvalId ?? "pending"})`);
    const reason =
      `package-guard: skill '${name}' may be installed, but ${waiting.length} Python ` +
      `dependenc${waiting.length === 1 ? "y needs" : "ies need"} operator approval before install_package can ` +
      `install ${waiting.length === 1 ? "it" : "them"}: ${waiting.join(", ")}`;
    return { decision: "warn", reason: cut(reason, MAX_REASON), findings, skill, preinstall };
  }
  return { decision: "allow", findings, skill, preinstall };
};

const dependenciesOf = async (
  target: InstallTarget,
): Promise<{ deps: BundleDependencies; wholeSkill: boolean } | null> => {
  const spec = target.installSpec;
  if (spec === undefined) {
    // The bundle readers (and their TOML and YAML parsers) load on the first vet, not with every CLI command.
    const { readSkillBundle } = await import("../skills/bundle.js");
    return { deps: await readSkillBundle(target.sourcePath, target.sourcePathKind), wholeSkill: true };
  }
  // A dependency installer: only uv installs Python packages (node ones are vet-node's; brew, go, download not ours).
  if (typeof spec.kind !== "string" || spec.kind.trim().toLowerCase() !== "uv") return null;
  if (typeof spec.package !== "string" || spec.package.trim() === "") {
    const f = critical("dependency-malformed", "The uv installer has no package to vet");
    return { deps: { name: null, declared: [], findings: [f] }, wholeSkill: false };
  }
  const declared = [{ requirement: spec.package.trim(), file: SKILL_MD, line: 1 }];
  return { deps: { name: null, declared, findings: [] }, wholeSkill: false };
};

/** " (requirements.txt:3)" for requirements from files other than SKILL.md, whose lines the reason never named. */
const fromFile = (where: Declared | undefined): string =>
  where && where.file !== SKILL_MD ? ` (${where.file}:${where.line})` : "";

/**
 * Reads what a skill install would bring (every Python dependency file of the bundle, or the one uv or node installer
 * being run), vets it through the service and says allow, warn or block: Python dependencies and node installers both,
 * the stricter answer winning. Plugin targets and skills that declare neither are allowed.
 */
export const vetInstallTarget = async (
  service: SkillVetter,
  target: InstallTarget,
  options: { source: VetSource; client?: string | null; signal?: AbortSignal },
): Promise<Verdict> => {
  const [python, node] = await Promise.all([
    vetPython(service, target, options),
    vetNodeInstallers(service, target, options),
  ]);
  return mergeVerdicts(python, node);
};

const RANK = { allow: 0, warn: 1, block: 2 } as const;

/** Two verdicts on one install as one: the stricter decision, the reasons that give it, findings within limits. */
export const mergeVerdicts = (a: Verdict, b: Verdict | null): Verdict => {
  if (b === null) return a;
  const decision = RANK[a.decision] >= RANK[b.decision] ? a.decision : b.decision;
  const reasons = [a, b].filter((v) => v.decision === decision && v.reason).map((v) => v.reason!);
  return {
    decision,
    ...(reasons.length > 0 ? { reason: cut(reasons.join(" | "), MAX_REASON) } : {}),
    findings: bounded([...a.findings, ...b.findings]),
    skill: a.skill ?? b.skill,
    // A blocked install pre-installs nothing, whichever side blocked it.
    preinstall: decision === "block" ? [] : a.preinstall,
  };
};

const vetPython = async (
  service: SkillVetter,
  target: InstallTarget,
  options: { source: VetSource; client?: string | null; signal?: AbortSignal },
): Promise<Verdict> => {
  if (target.targetType !== "skill") return ALLOW;
  const found = await dependenciesOf(target);
  if (found === null) return ALLOW;
  const { deps, wholeSkill } = found;
  if (deps.declared.length === 0 && deps.findings.length === 0) return ALLOW;
  // The venv is named after the skill as agents see it (its frontmatter name), else after OpenClaw's target name.
  // That exact name is also how OpenClaw tells skills apart: it owns the venv (python/skill-owner.ts).
  const name = deps.name ?? target.targetName;
  const skill = skillIdFromName(name) ?? skillIdFromName(target.targetName);
  if (skill === null) {
    const f = critical(
      "skill-name",
      `No package-guard skill id can be derived from the skill name '${cut(name, 80)}': it needs letters or digits ` +
        `(a-z, 0-9)`,
    );
    return blockVerdict(`package-guard blocked skill '${cut(name, 80)}': ${f.message}`, [f, ...deps.findings]);
  }
  const problems = deps.findings
    .filter((f) => f.severity === "critical")
    .map((f) => ({ ruleId: f.ruleId, message: f.message }));
  const result = await service.vetSkill(
    {
      skill,
      requirements: deps.declared.map((d) => d.requirement),
      source: options.source,
      owner: name,
      ...(options.client ? { client: options.client } : {}),
      ...(problems.length > 0 ? { problems } : {}),
    },
    options.signal,
  );
  return { ...toVerdict(cut(name, 80), deps, result, wholeSkill), owner: name };
};
