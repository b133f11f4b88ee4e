import type { PackageGuardConfig } from "../config.js";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import type { Runner } from "../util/exec.js";
import { updateInstallRecord } from "./install-record.js";
import { compareInstalled } from "./installer.js";
import { skillPaths } from "./layout.js";
import { checkReleases, type ReleaseCheck } from "./releases.js";
import { resolvePins } from "./resolver.js";
import { listInstalled } from "./site-packages.js";
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

const readOnly = (): never => {
  throw new PackageGuardError("INSTALL_FAILED", "This operation may not change the virtualenv", {
    details: { reason: "read-only" },
  });
};

/** The handle withSkill() passes out: valid only while the skill's lock is held. */
export const openSkillVenv = (
  ctx: TransactionContext,
  projectFiles: ReleaseCheck["projectFiles"],
  options: { rebuilt?: readonly string[]; readOnly?: boolean } = {},
): SkillVenv => ({
  skill: ctx.skill,
  dir: ctx.venvDir,
  python: ctx.venvPython,
  rebuilt: options.rebuilt ?? [],
  state: () => currentSet(ctx.paths),
  resolve: (wanted, signal, limits) => resolvePins(ctx, wanted, signal, limits),
  apply: options.readOnly
    ? readOnly
    : (pins, wanted, meta, signal, commit) => applyTransaction(ctx, pins, wanted, meta, signal, commit),
  recordInstall: options.readOnly
    ? readOnly
    : (installed, fresh) => updateInstallRecord(ctx.paths.record, ctx.skill, installed, fresh),
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
 * Makes the venv the one package-guard made, holding the recorded set, before an operation uses it. A venv that is
 * missing, whose control files were changed (a skill replacing bin/python, a wheel rewriting pyvenv.cfg) or that no
 * longer holds the recorded set is rebuilt and gets its recorded packages back, journaled like any change (the
 * caller's write-ahead record covers it). Returns why it was rebuilt (empty when it was not).
 */
export const prepareSkillVenv = async (ctx: TransactionContext): Promise<string[]> => {
  const venv = await ensureVenv(ctx);
  const current = await currentSet(ctx.paths);
  const reasons = venv.created
    ? venv.problems.length > 0
      ? venv.problems
      : current.pins.length > 0
        ? ["it was missing"]
        : []
    : compareInstalled(await listInstalled(ctx.venvDir), current.pins);
  if (reasons.length === 0) return [];
  try {
    await applyTransaction(ctx, current.pins, current.requirements, {
      operation: "rebuild",
      package: "*",
      ...(current.vulnerabilities ? { vulnerabilities: current.vulnerabilities } : {}),
    });
  } catch (error) {
    throw new PackageGuardError(
      "INSTALL_FAILED",
      `The virtualenv of skill '${ctx.skill}' had to be rebuilt (${reasons.join("; ")}), but reinstalling its ` +
        `recorded packages failed: ${toPackageGuardError(error).message}`,
      {
        details: { reason: "venv-rebuilt", skill: ctx.skill, problems: reasons },
        cause: error,
      },
    );
  }
  return reasons;
};
