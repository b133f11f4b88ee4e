import { chmod, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { PackageGuardConfig } from "../config.js";
import { PackageGuardError } from "../errors.js";
import { writeFileAtomic } from "../util/fs.js";
import { isRecord } from "../util/is-record.js";
import { quarantineRoot, type SkillPaths } from "./layout.js";

/** Why and when a skill's venv was taken out of use, and where it was moved. */
export type QuarantineRecord = {
  version: 1;
  skill: string;
  at: string;
  by: string | null;
  reason: string;
  /** The moved venv (null when the skill had none yet). */
  movedTo: string | null;
};

const isQuarantineRecord = (v: unknown): v is QuarantineRecord =>
  isRecord(v) &&
  v.version === 1 &&
  typeof v.skill === "string" &&
  typeof v.at === "string" &&
  typeof v.reason === "string" &&
  (v.by === null || typeof v.by === "string") &&
  (v.movedTo === null || typeof v.movedTo === "string");

const exists = async (path: string): Promise<boolean> => (await stat(path).catch(() => undefined)) !== undefined;

/** The skill's quarantine record, or null. SECURITY: a marker we cannot read still quarantines (fail closed). */
export const readQuarantine = async (paths: SkillPaths, skill: string): Promise<QuarantineRecord | null> => {
  let text: string;
  try {
    text = await readFile(paths.quarantine, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    text = "";
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (isQuarantineRecord(parsed)) return parsed;
  } catch {
    // fall through
  }
  return {
    version: 1,
    skill,
    at: "",
    by: null,
    reason: `unreadable quarantine record ${paths.quarantine}`,
    movedTo: null,
  };
};

/** Refuses any change to a quarantined skill's venv (installs, uninstalls, vets, rebuilds). */
export const assertNotQuarantined = async (paths: SkillPaths, skill: string): Promise<void> => {
  const record = await readQuarantine(paths, skill);
  if (!record) return;
  throw new PackageGuardError(
    "QUARANTINED",
    `Skill '${skill}' is quarantined (${record.reason}${record.at ? `, since ${record.at}` : ""}): its virtualenv is ` +
      `out of use and nothing is installed into it until an operator restores or rebuilds it ` +
      `(package-guard quarantine release ${skill} --mode restore|rebuild|reset).`,
    { details: { skill, quarantinedAt: record.at, reason: record.reason } },
  );
};

/**
 * Takes the venv out of use (caller holds the skill's lock): the record first (so every later operation is refused
 * even if the move is cut short), then the venv is moved aside and made unreadable, so nothing runs from it.
 * Quarantining again finishes an interrupted move and keeps the first record.
 */
export const quarantineVenv = async (
  config: PackageGuardConfig,
  paths: SkillPaths,
  skill: string,
  who: { by: string | null; reason: string; now: Date },
): Promise<{ record: QuarantineRecord; already: boolean }> => {
  const previous = await readQuarantine(paths, skill);
  const stamp = who.now.toISOString().replace(/[-:.]/g, "");
  const target = previous?.movedTo ?? join(quarantineRoot(config), `${skill}-${stamp}`);
  const record: QuarantineRecord = previous ?? {
    version: 1,
    skill,
    at: who.now.toISOString(),
    by: who.by,
    reason: who.reason,
    movedTo: (await exists(paths.venv)) ? target : null,
  };
  if (!previous) await writeFileAtomic(paths.quarantine, `${JSON.stringify(record, null, 2)}\n`);
  if (record.movedTo && (await exists(paths.venv)) && !(await exists(record.movedTo))) {
    await mkdir(quarantineRoot(config), { recursive: true, mode: 0o700 });
    await rename(paths.venv, record.movedTo);
  }
  // SECURITY: no one (the gateway user included) traverses it by accident any more; removing it needs a chmod.
  if (record.movedTo && (await exists(record.movedTo))) await chmod(record.movedTo, 0o000);
  return { record, already: previous !== null };
};

/** Puts the quarantined venv back as it was (caller holds the lock). */
export const restoreVenv = async (paths: SkillPaths, record: QuarantineRecord): Promise<void> => {
  if (record.movedTo && (await exists(record.movedTo))) {
    if (await exists(paths.venv))
      throw new PackageGuardError(
        "INSTALL_FAILED",
        `${paths.venv} exists again; move it away before restoring the quarantined venv ${record.movedTo}`,
        { details: { reason: "venv-path-occupied", path: paths.venv } },
      );
    await chmod(record.movedTo, 0o700);
    await rename(record.movedTo, paths.venv);
  }
  await rm(paths.quarantine, { force: true });
};

/** Throws the quarantined venv away and lifts the quarantine (caller holds the lock). */
export const discardVenv = async (paths: SkillPaths, record: QuarantineRecord): Promise<void> => {
  if (record.movedTo && (await exists(record.movedTo))) {
    await chmod(record.movedTo, 0o700);
    await rm(record.movedTo, { recursive: true, force: true });
  }
  // A venv that reappeared at the path meanwhile is not trusted either.
  await rm(paths.venv, { recursive: true, force: true });
  await rm(paths.quarantine, { force: true });
};
