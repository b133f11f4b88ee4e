import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { PackageGuardConfig } from "../config.js";
import type { Runner } from "../util/exec.js";
import { pathExists } from "../util/fs.js";
import { runOk } from "./run.js";
import { PIP, pipToolDir } from "./toolchain.js";

/**
 * The pip that pip mode runs: a venv of package-guard's own, made from the base interpreter (pip comes from its
 * bundled ensurepip, so this works offline), that never receives a package. SECURITY: pip is never run from a
 * skill's venv, whose interpreter would process that skill's .pth files and read its pip.conf.
 */
export const ensurePipTool = async (
  config: PackageGuardConfig,
  runner: Runner,
  basePython: string,
): Promise<string> => {
  const dir = pipToolDir(config);
  const python = join(dir, "bin", "python");
  const runCtx = { runner, timeoutMs: config.python.installTimeoutMs, cwd: config.dataDir };
  if (!(await pathExists(python))) {
    await mkdir(dirname(dir), { recursive: true, mode: 0o700 });
    // Built aside and renamed into place, so two processes never see half a tool venv.
    const temp = `${dir}.tmp-${randomBytes(4).toString("hex")}`;
    try {
      await runOk(runCtx, "Creating package-guard's pip tool venv", basePython, ["-m", "venv", temp]);
      await rename(temp, dir).catch(async (error: unknown) => {
        if (!(await pathExists(python))) throw error;
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }
  await runOk(runCtx, "Checking package-guard's pip tool venv", python, [...PIP, "--version"]);
  return python;
};
