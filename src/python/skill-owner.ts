import { readFile } from "node:fs/promises";
import { PackageGuardError } from "../errors.js";
import { writeFileAtomic } from "../util/fs.js";
import { isRecord } from "../util/is-record.js";

/**
 * Which OpenClaw skill a venv belongs to. Skill ids come from names many-to-one ("Data Viz", "DATA   VIZ!!" and
 * "data-viz" are one id), while OpenClaw tells skills apart by their exact name: the first skill to claim an id owns
 * its venv, and another skill whose name maps to the same id is refused rather than let into that venv.
 */
export type SkillOwner = { name: string; claimedAt: string };

export const ownerName = (name: string): string => name.trim().slice(0, 200);

export const readOwner = async (path: string): Promise<SkillOwner | null> => {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as unknown;
    if (isRecord(value) && typeof value.name === "string" && typeof value.claimedAt === "string")
      return { name: value.name, claimedAt: value.claimedAt };
  } catch {
    // fall through: an unreadable claim is still a claim, by someone we cannot name
  }
  return { name: "(unreadable owner.json)", claimedAt: "" };
};

/** The owner after this call: `name` if the venv was free or already its own, else whoever holds it. */
export const claimOwner = async (path: string, name: string, now: Date): Promise<SkillOwner> => {
  const existing = await readOwner(path);
  if (existing) return existing;
  const owner = { name: ownerName(name), claimedAt: now.toISOString() };
  await writeFileAtomic(path, `${JSON.stringify(owner)}\n`);
  return owner;
};

/** A skill whose name maps to a skill id another OpenClaw skill already owns. */
export const ownerConflict = (skill: string, newcomer: string, owner: string): PackageGuardError =>
  new PackageGuardError(
    "INVALID_REQUIREMENT",
    `Skill '${newcomer.slice(0, 80)}' maps to the virtualenv '${skill}', which belongs to the skill ` +
      `'${owner.slice(0, 80)}': one venv serves one skill. Rename the new skill so its name gives another id ` +
      `(lowercase letters, digits and '-'), or remove the other skill and its venv first.`,
    { details: { reason: "skill-owner", skill, owner, newcomer } },
  );

/** Inside the skill's lock: refuses a newcomer, and claims the venv when asked and it is free. */
export const checkOwner = async (
  path: string,
  skill: string,
  wanted: { name: string; claim: boolean },
  now: Date,
): Promise<void> => {
  const owner = wanted.claim ? await claimOwner(path, wanted.name, now) : await readOwner(path);
  if (owner !== null && owner.name !== ownerName(wanted.name)) throw ownerConflict(skill, wanted.name, owner.name);
};
