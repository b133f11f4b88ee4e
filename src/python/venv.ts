import { mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { PackageGuardConfig } from "../config.js";
import { PackageGuardError } from "../errors.js";
import type { Runner } from "../util/exec.js";
import { pathExists as exists } from "../util/fs.js";
import type { SkillPaths } from "./layout.js";
import { runOk } from "./run.js";
import type { Toolchain } from "./toolchain.js";
import { recordFingerprint, venvProblems } from "./venv-integrity.js";

export type VenvContext = { config: PackageGuardConfig; runner: Runner; toolchain: Toolchain; paths: SkillPaths };

// Neither way seeds pip: tools install into the venv from outside, so the venv needs no installer of its own.
const create = async (ctx: VenvContext, clear: boolean): Promise<void> => {
  const { config, toolchain, paths } = ctx;
  await mkdir(config.venvRoot, { recursive: true, mode: 0o700 });
  const runCtx = { runner: ctx.runner, timeoutMs: config.python.installTimeoutMs, cwd: dirname(paths.venv) };
  // Removed by us rather than with the tools' --clear: fs.rm never follows a symlink, so a venv (or a folder in it)
  // that a skill turned into a link to another skill's venv loses the link, not the other skill's files.
  if (clear) await rm(paths.venv, { recursive: true, force: true });
  if (toolchain.kind === "uv") {
    await runOk(runCtx, `Creating the virtualenv for '${paths.venv}'`, toolchain.uv, [
      "venv",
      paths.venv,
      "--no-config",
      "--no-project",
      "--python",
      toolchain.basePython,
      "--no-python-downloads",
      "--cache-dir",
      join(config.python.cacheDir, "uv"),
      "--color",
      "never",
    ]);
  } else {
    await runOk(runCtx, `Creating the virtualenv for '${paths.venv}'`, toolchain.basePython, [
      "-m",
      "venv",
      "--without-pip",
      paths.venv,
    ]);
  }
  await recordFingerprint(paths, toolchain.base);
};

/**
 * Makes sure `<venvRoot>/<skill>` is the venv package-guard made; true when it had to be (re)made, with the reasons.
 * A venv whose interpreter or config changed (by the skill's own code, or its base Python was upgraded) is rebuilt
 * empty; a folder that is not a venv at all is reported, never cleared.
 */
export const ensureVenv = async (ctx: VenvContext): Promise<{ created: boolean; problems: string[] }> => {
  const { paths } = ctx;
  const isVenv = await exists(join(paths.venv, "pyvenv.cfg"));
  if (!isVenv) {
    const entries = await readdir(paths.venv).catch(() => [] as string[]);
    if (entries.length > 0) {
      throw new PackageGuardError(
        "INSTALL_FAILED",
        `${paths.venv} exists but is not a virtualenv; move it away so package-guard can create one there`,
        {
          details: { reason: "venv-path-occupied", path: paths.venv },
        },
      );
    }
    await create(ctx, false);
    return { created: true, problems: [] };
  }
  const problems = await venvProblems(paths, ctx.toolchain.base);
  if (problems.length === 0) return { created: false, problems };
  await create(ctx, true);
  return { created: true, problems };
};

/** Throws the venv away and makes a fresh, empty one in its place (the rollback's last resort). */
export const recreateVenv = async (ctx: VenvContext): Promise<void> => {
  await create(ctx, true);
};
