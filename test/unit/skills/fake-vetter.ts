import { vi } from "vitest";
import type { SkillVetter } from "../../../src/service/vet-target.js";
import type { VetInput, VetItem, VetResult } from "../../../src/service/vetting.js";
import { overallDecision } from "../../../src/service/vetting.js";

/** A vetter that denies names in `deny`, wants approval for names in `approve`, and allows the rest. */
export const fakeVetter = (o: { deny?: Record<string, string>; approve?: string[] } = {}) => {
  const vetSkill = vi.fn(async (input: VetInput): Promise<VetResult> => {
    const items: VetItem[] = input.requirements.map((requirement) => {
      const name = requirement.split(/[<>=!~[]/)[0]!;
      if (o.deny?.[name])
        return {
          requirement,
          allowed: false,
          code: o.deny[name] as VetItem["code"],
          message: `${name} is denied`,
          requiresApproval: false,
          package: name,
        };
      if (o.approve?.includes(name))
        return {
          requirement,
          allowed: true,
          code: "APPROVAL_REQUIRED",
          message: `${name} needs approval apr_${name}`,
          requiresApproval: true,
          package: name,
          approvalId: `apr_${name}`,
        };
      return { requirement, allowed: true, message: "Allowed", requiresApproval: false, package: name };
    });
    const problems = input.problems?.length ?? 0;
    return {
      skill: input.skill,
      maturity: "student",
      decision: problems > 0 ? "block" : overallDecision(items),
      items,
      problems,
    };
  });
  return { vetSkill } satisfies SkillVetter;
};
