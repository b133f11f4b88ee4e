import { critical, finding, type SkillFinding } from "../skills/findings.js";
import { readNodeInstallers } from "../skills/node-installers.js";
import type { SkillDependencies } from "../skills/python-deps.js";
import { skillIdFromName } from "../skills/skill-id.js";
import type { NpmVetInput } from "./npm-pipeline.js";
import type { InstallTarget, Verdict } from "./vet-target.js";
import type { VetResult, VetSource } from "./vetting.js";

/** What vetting node installers needs from the service: the npm pipeline's vet. */
export type NodeVetter = { vetNpm(input: NpmVetInput, signal?: AbortSignal): Promise<VetResult> };

const MAX_REASON = 900;
const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

const installersOf = async (target: InstallTarget): Promise<SkillDependencies | null> => {
  const spec = target.installSpec;
  if (spec === undefined) return readNodeInstallers(target.sourcePath, target.sourcePathKind);
  if (typeof spec.kind !== "string" || spec.kind.trim().toLowerCase() !== "node") return null;
  if (typeof spec.package !== "string" || spec.package.trim() === "") {
    const f = critical("dependency-malformed", "The node installer has no package to vet");
    return { name: null, requirements: [], lines: [], findings: [f] };
  }
  return { name: null, requirements: [spec.package.trim()], lines: [1], findings: [] };
};

/**
 * The node installers of a skill install (every one SKILL.md declares, or the one being run), vetted through the
 * npm pipeline: OpenClaw installs them globally with `npm install -g`, so each must be a whitelisted, scanned npm
 * package like a component install. Null when there are none.
 */
export const vetNodeInstallers = async (
  service: NodeVetter,
  target: InstallTarget,
  options: { source: VetSource; client?: string | null; signal?: AbortSignal },
): Promise<Verdict | null> => {
  if (target.targetType !== "skill") return null;
  const deps = await installersOf(target);
  if (deps === null || (deps.requirements.length === 0 && deps.findings.length === 0)) return null;
  const name = cut(deps.name ?? target.targetName, 80);
  const skill = skillIdFromName(deps.name ?? target.targetName) ?? skillIdFromName(target.targetName);
  const blocked = (reasons: string[], findings: SkillFinding[]): Verdict => ({
    decision: "block",
    reason: cut(`package-guard blocked skill '${name}': ${reasons.join("; ")}`, MAX_REASON),
    findings,
    skill,
    preinstall: [],
  });
  if (deps.findings.length > 0)
    return blocked(
      deps.findings.map((f) => f.message),
      deps.findings,
    );
  if (skill === null) {
    const f = critical("skill-name", `No package-guard skill id can be derived from the skill name '${name}'`);
    return blocked([f.message], [f]);
  }
  const result = await service.vetNpm(
    { skill, packages: deps.requirements, source: options.source, client: options.client ?? null },
    options.signal,
  );
  const findings = result.items.flatMap((item, i) =>
    item.allowed && !item.requiresApproval
      ? []
      : [
          finding(
            (item.code ?? "denied").toLowerCase().replace(/_/g, "-"),
            item.allowed ? "warn" : "critical",
            cut(`node installer ${item.requirement}: ${item.message}`, 300),
            deps.lines[i] ?? 1,
          ),
        ],
  );
  if (result.decision === "block") {
    const failures = result.items
      .filter((i) => !i.allowed)
      .map((i) => `node installer ${i.requirement}: [${i.code ?? "DENIED"}] ${i.message}`);
    return blocked(failures, findings);
  }
  if (result.decision === "warn") {
    const waiting = result.items
      .filter((i) => i.requiresApproval)
      .map((i) => `${i.package} (approval ${i.approvalId})`);
    const reason =
      `package-guard: skill '${name}' may be installed, but its node installer package(s) need operator approval ` +
      `first: ${waiting.join(", ")}`;
    return { decision: "warn", reason: cut(reason, MAX_REASON), findings, skill, preinstall: [] };
  }
  return { decision: "allow", findings, skill, preinstall: [] };
};
