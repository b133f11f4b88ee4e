import { PackageGuardError } from "../errors.js";

// SECURITY: the id becomes a directory name under venvRoot and dataDir; no dots, slashes or uppercase
// means no traversal ("..", "a/b"), no hidden folders and no case-folding collisions on macOS.
const SKILL_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const SKILL_ID_RULE = "1-63 characters: lowercase letters, digits, '-' and '_', starting with a letter or digit";

export const isValidSkillId = (id: unknown): id is string => typeof id === "string" && SKILL_ID.test(id);

export const validateSkillId = (id: unknown): string => {
  if (isValidSkillId(id)) return id;
  if (id === undefined || id === null || id === "") {
    throw new PackageGuardError(
      "INVALID_REQUIREMENT",
      `The skill id is required: pass 'skill', the skill whose virtualenv receives the package (e.g. 'data-viz'; ` +
        `${SKILL_ID_RULE})`,
      { details: { reason: "skill", rule: SKILL_ID_RULE } },
    );
  }
  const shown = typeof id === "string" ? `'${id.slice(0, 80)}'` : `a ${id === null ? "null" : typeof id}`;
  throw new PackageGuardError("INVALID_REQUIREMENT", `Invalid skill id ${shown}: use ${SKILL_ID_RULE}`, {
    details: { reason: "skill", rule: SKILL_ID_RULE },
  });
};
