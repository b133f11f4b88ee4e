import { vi } from "vitest";
import type { NpmVetInput } from "../../../src/service/npm-pipeline.js";
import type { SkillVetter } from "../../../src/service/vet-target.js";
import type { VetInput, VetItem, VetResult } from "../../../src/service/vetting.js";

/** A vetter that denies names in `deny`, wants approval for names in `approve`, and allows the rest. */
export const fakeVetter = (o: { deny?: Record<string, string>; approve?: string[] } = {}) => {
  const vet = (skill: string, requirements: string[], problems: number, nameOf: (r: string) => string): VetResult => {
    const items: VetItem[] = requirements.map((requirement) => {
      const name = nameOf(requirement);
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
    // The fake's own rule, written from the contract (not the product's own decision function): any denial or problem
    // blocks, else any approval warns, else allow.
    const denied = items.some((i) => !i.allowed);
    const approval = items.some((i) => i.code === "APPROVAL_REQUIRED");
    return {
      skill,
      maturity: "student",
      decision: problems > 0 || denied ? "block" : approval ? "warn" : "allow",
      items,
      problems,
    };
  };
  const vetSkill = vi.fn(async (input: VetInput) =>
    vet(input.skill, input.requirements, input.problems?.length ?? 0, (r) => r.split(/[<>=!~[]/)[0]!),
  );
  // npm names keep their scope: "@acme/cli@^1" is "@acme/cli".
  const vetNpm = vi.fn(async (input: NpmVetInput) =>
    vet(input.skill, input.packages, 0, (r) => r.replace(/(?<=.)@.*$/, "")),
  );
  return { vetSkill, vetNpm } satisfies SkillVetter;
};
