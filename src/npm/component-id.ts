import { PackageGuardError } from "../errors.js";
import { SKILL_ID_RULE, isValidSkillId } from "../python/skill-id.js";

// SECURITY: the id becomes a folder name under <state>/package-guard/components: the same rule as skill ids (no dots,
// slashes or uppercase), so no traversal, hidden folders or case-folding collisions.
export const COMPONENT_ID_RULE = SKILL_ID_RULE;

export const isValidComponentId = (id: unknown): id is string => isValidSkillId(id);

export const validateComponentId = (id: unknown): string => {
  if (isValidComponentId(id)) return id;
  const shown = typeof id === "string" ? `'${id.slice(0, 80)}'` : `a ${id === null ? "null" : typeof id}`;
  throw new PackageGuardError("INVALID_REQUIREMENT", `Invalid component id ${shown}: use ${COMPONENT_ID_RULE}`, {
    details: { reason: "component", rule: COMPONENT_ID_RULE },
  });
};
