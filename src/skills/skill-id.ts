import { isValidSkillId } from "../python/skill-id.js";

/**
 * The package-guard skill id (the venv's name) for an OpenClaw skill name: lowercased, every run of characters
 * outside [a-z0-9_-] replaced by one "-", leading and trailing "-"/"_" dropped, cut to 63 characters.
 * "Data Viz!" -> "data-viz". Null when nothing usable is left (e.g. a name of only symbols or non-Latin letters).
 */
export const skillIdFromName = (name: string): string | null => {
  const id = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+/, "")
    .slice(0, 63)
    .replace(/[-_]+$/, "");
  return isValidSkillId(id) ? id : null;
};
