import { constants } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { PackageGuardConfig } from "../config.js";
import { PackageGuardError } from "../errors.js";
import type { Runner } from "../util/exec.js";
import { pathExists as exists } from "../util/fs.js";
import type { SkillPaths } from "./layout.js";
import { runOk } from "./run.js";
import { listInstalled } from "./site-packages.js";
import type { Toolchain } from "./toolchain.js";

export type VenvContext = { config: PackageGuardConfig; runner: Runner; toolchain: Toolchain; paths: SkillPaths };

const create = async (ctx: VenvContext, clear: boolean): Promise<void> => {
  const { config, toolchain, paths } = ctx;
  await mkdir(config.venvRoot, { recursive: true, mode: 0o700 });
  const runCtx = { runner: ctx.runner, timeoutMs: config.python.installTimeoutMs, cwd: dirname(paths.venv) };
  if (toolchain.kind === "uv") {
    // No --seed: uv installs into the venv from outside, so the venv needs no pip of its own.
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
      ...(clear ? ["--clear"] : []),
    ]);
  } else {
    await runOk(runCtx, `Creating the virtualenv for '${paths.venv}'`, toolchain.basePython, [
      "-m",
      "venv",
      ...(clear ? ["--clear"] : []),
      paths.venv,
    ]);
  }
};

// A venv made by uv has no pip; the pip installer needs one (bundled with Python, so this works offline).
const ensurePip = async (ctx: VenvContext): Promise<void> => {
  if ((await listInstalled(ctx.paths.venv)).has("pip")) return;
  const runCtx = { runner: ctx.runner, timeoutMs: ctx.config.python.installTimeoutMs, cwd: ctx.paths.venv };
  await runOk(runCtx, "Adding pip to the virtualenv", ctx.paths.python, ["-m", "ensurepip", "--default-pip"]);
};

/**
 * Makes sure `<venvRoot>/<skill>` is a working venv; true when it had to be (re)created. A venv whose
 * interpreter vanished (base Python removed or upgraded) is rebuilt; a folder that is not a venv is reported.
 */
export const ensureVenv = async (ctx: VenvContext): Promise<boolean> => {
  const { paths } = ctx;
  const isVenv = await exists(join(paths.venv, "pyvenv.cfg"));
  const pythonWorks = await exists(paths.python, constants.X_OK);
  if (!isVenv || !pythonWorks) {
    const entries = await readdir(paths.venv).catch(() => [] as string[]);
    if (!isVenv && entries.length > 0) {
      throw new PackageGuardError(
        "INSTALL_FAILED",
        `${paths.venv} exists but is not a virtualenv; move it away so package-guard can create one there`,
        {
          details: { reason: "venv-path-occupied", path: paths.venv },
        },
      );
    }
    await create(ctx, isVenv);
  }
  if (ctx.toolchain.kind === "pip") await ensurePip(ctx);
  return !isVenv || !pythonWorks;
};

/** Throws the venv away and makes a fresh, empty one in its place (the rollback's last resort). */
export const recreateVenv = async (ctx: VenvContext): Promise<void> => {
  await create(ctx, true);
  if (ctx.toolchain.kind === "pip") await ensurePip(ctx);
};
