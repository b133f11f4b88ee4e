import type { PackageGuardConfig } from "../config.js";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import type { Runner } from "../util/exec.js";
import { updateInstallRecord } from "./install-record.js";
import { installExactly } from "./installer.js";
import { skillPaths } from "./layout.js";
import { checkReleases, type ReleaseCheck } from "./releases.js";
import { resolvePins } from "./resolver.js";
import type { Toolchain } from "./toolchain.js";
import { applyTransaction, currentSet, type TransactionContext } from "./transaction.js";
import type { SkillVenv } from "./types.js";
import { ensureVenv } from "./venv.js";

export const skillContext = (
  config: PackageGuardConfig,
  runner: Runner,
  toolchain: Toolchain,
  skill: string,
): TransactionContext => {
  const paths = skillPaths(config, skill);
  return {
    config,
    runner,
    toolchain,
    skill,
    paths,
    venvDir: paths.venv,
    venvPython: paths.python,
    workDir: paths.data,
  };
};

/** The handle withSkill() passes out: valid only while the skill's lock is held. */
export const openSkillVenv = (ctx: TransactionContext, projectFiles: ReleaseCheck["projectFiles"]): SkillVenv => ({
  skill: ctx.skill,
  dir: ctx.venvDir,
  python: ctx.venvPython,
  state: () => currentSet(ctx.paths),
  resolve: (wanted, signal, constraints, ranges) => resolvePins(ctx, wanted, signal, constraints, ranges),
  apply: (pins, wanted, meta, signal) => applyTransaction(ctx, pins, wanted, meta, signal),
  recordInstall: (installed, fresh) => updateInstallRecord(ctx.paths.record, ctx.skill, installed, fresh),
  checkReleases: (pins, signal) =>
    checkReleases(
      {
        config: ctx.config,
        toolchain: ctx.toolchain.kind,
        now: new Date(),
        projectFiles,
        ...(signal ? { signal } : {}),
      },
      pins,
    ),
});

/**
 * Creates the venv if needed. A venv rebuilt under a skill that has recorded packages (deleted by hand, or its
 * base Python went away) gets them back right away, so the skill's imports keep working.
 */
export const prepareSkillVenv = async (ctx: TransactionContext): Promise<void> => {
  if (!(await ensureVenv(ctx))) return;
  const { pins } = await currentSet(ctx.paths);
  if (pins.length === 0) return;
  try {
    await installExactly(ctx, pins);
  } catch (error) {
    throw new PackageGuardError(
      "INSTALL_FAILED",
      `The virtualenv of skill '${ctx.skill}' was rebuilt, but reinstalling its recorded packages failed: ` +
        `${toPackageGuardError(error).message}`,
      {
        details: { reason: "venv-rebuilt", skill: ctx.skill },
        cause: error,
      },
    );
  }
};
