import { PackageGuardError } from "../errors.js";
import { sameVersion } from "../util/pep440.js";
import type { SkillPaths } from "./layout.js";
import { pinnedRequirements } from "./requirements-file.js";
import type { ResolveContext } from "./resolver.js";
import { runOk } from "./run.js";
import { withScratch } from "./scratch.js";
import { listInstalled } from "./site-packages.js";
import { PIP, pipSourceArgs, uvSourceArgs } from "./toolchain.js";
import type { Pin } from "./types.js";
import { controlFileWrites, repointScripts } from "./venv-files.js";
import { venvProblems } from "./venv-integrity.js";
import { recreateVenv } from "./venv.js";

export type InstallContext = ResolveContext & { venvDir: string; paths: SkillPaths };

/** Differences between the venv and the pins, in words; empty when they match. */
export const compareInstalled = (
  installed: Map<string, string>,
  pins: readonly Pin[],
  ignore: ReadonlySet<string> = new Set(),
): string[] => {
  const problems: string[] = [];
  const wanted = new Map(pins.map((p) => [p.name, p.version]));
  for (const [name, version] of wanted) {
    const actual = installed.get(name);
    if (actual === undefined) problems.push(`${name} ${version} is missing`);
    else if (!sameVersion(actual, version)) problems.push(`${name} is ${actual}, expected ${version}`);
  }
  for (const [name, version] of installed)
    if (!wanted.has(name) && !ignore.has(name)) problems.push(`${name} ${version} should not be there`);
  return problems;
};

const syncWithUv = async (
  ctx: InstallContext,
  uv: string,
  file: string,
  cwd: string,
  signal?: AbortSignal,
): Promise<void> => {
  const runCtx = { runner: ctx.runner, timeoutMs: ctx.config.python.installTimeoutMs, cwd, signal };
  // sync, not install: it also removes whatever is not listed, which is what makes rollback and uninstall exact.
  // SECURITY: the base interpreter with the venv as --prefix: uv never runs the venv's python (see toolchain.ts).
  await runOk(runCtx, "Installing the pinned packages", uv, [
    "pip",
    "sync",
    file,
    "--require-hashes",
    "--allow-empty-requirements",
    "--link-mode",
    ctx.config.python.linkMode,
    "--prefix",
    ctx.venvDir,
    ...uvSourceArgs(ctx.config, ctx.toolchain.basePython),
  ]);
};

/**
 * pip cannot uninstall from a prefix, so pip mode always starts from a fresh venv: exact by construction, and a
 * rollback is the same step with the previous pins.
 */
const syncWithPip = async (
  ctx: InstallContext,
  pipPython: string,
  pins: readonly Pin[],
  file: string,
  cwd: string,
  signal?: AbortSignal,
): Promise<void> => {
  await recreateVenv(ctx);
  if (pins.length === 0) return;
  const runCtx = { runner: ctx.runner, timeoutMs: ctx.config.python.installTimeoutMs, cwd, signal };
  // --no-deps: the set is already complete and scanned; pip must not resolve anything new.
  await runOk(runCtx, "Installing the pinned packages", pipPython, [
    ...PIP,
    "install",
    "--require-hashes",
    "--no-deps",
    "--ignore-installed",
    "--no-warn-script-location",
    "--prefix",
    ctx.venvDir,
    ...pipSourceArgs(ctx.config),
    "--requirement",
    file,
  ]);
};

const refuse = (message: string, details: Record<string, unknown>): never => {
  throw new PackageGuardError("INSTALL_FAILED", message, { details });
};

/** After an install: the venv holds exactly the pins, and its control files are still the ones we made. */
const checkResult = async (ctx: InstallContext, pins: readonly Pin[]): Promise<void> => {
  const writes = await controlFileWrites(ctx.venvDir);
  if (writes.length > 0) {
    refuse(
      `Refused: ${writes.map((w) => `${w.package} writes ${w.path}`).join("; ")}. A package may not replace a ` +
        `virtualenv's control files (pyvenv.cfg, bin/python*, bin/activate*) or write outside site-packages.`,
      { reason: "venv-control-file", writes },
    );
  }
  const problems = await venvProblems(ctx.paths, ctx.toolchain.base);
  if (problems.length > 0)
    refuse(`The virtualenv was changed by the install: ${problems.join("; ")}`, { reason: "venv-control-file" });
  const mismatch = compareInstalled(await listInstalled(ctx.venvDir), pins);
  if (mismatch.length > 0) {
    refuse(`The virtualenv does not match the pinned set after installing: ${mismatch.join("; ")}`, {
      reason: "verify",
      problems: mismatch,
    });
  }
};

/** Makes the venv hold exactly `pins` and checks the result on disk. Returns the pins as installed. */
export const installExactly = async (
  ctx: InstallContext,
  pins: readonly Pin[],
  signal?: AbortSignal,
): Promise<Pin[]> => {
  const { toolchain } = ctx;
  await withScratch(ctx.workDir, async (cwd, write) => {
    const file = await write("pins.txt", pinnedRequirements(pins));
    if (toolchain.kind === "uv") await syncWithUv(ctx, toolchain.uv, file, cwd, signal);
    else await syncWithPip(ctx, toolchain.pipPython, pins, file, cwd, signal);
  });
  await checkResult(ctx, pins);
  await repointScripts(ctx.venvDir, [
    toolchain.base.executable,
    toolchain.base.sysExecutable,
    toolchain.basePython,
    ...(toolchain.kind === "pip" ? [toolchain.pipPython] : []),
  ]);
  return pins
    .map((p) => ({ name: p.name, version: p.version, hashes: p.hashes }))
    .toSorted((a, b) => a.name.localeCompare(b.name));
};
