import { PackageGuardError } from "../errors.js";
import { sameVersion } from "../util/pep440.js";
import { pinnedRequirements } from "./requirements-file.js";
import type { ResolveContext } from "./resolver.js";
import { runOk } from "./run.js";
import { withScratch } from "./scratch.js";
import { listInstalled } from "./site-packages.js";
import { PIP, pipSourceArgs, uvSourceArgs } from "./toolchain.js";
import type { Pin } from "./types.js";

export type InstallContext = ResolveContext & { venvDir: string };

// pip cannot remove itself safely and `python -m venv` seeds these; they are the tool, not the skill's packages.
const PIP_TOOLING = new Set(["pip", "setuptools", "wheel"]);

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
  // Hardlinks (default) make a second venv of the same packages nearly free; a skill's code editing its own
  // site-packages in place would then edit the cache's copy too, so hosts that want independent venvs say "copy".
  await runOk(runCtx, "Installing the pinned packages", uv, [
    "pip",
    "sync",
    file,
    "--require-hashes",
    "--allow-empty-requirements",
    "--link-mode",
    ctx.config.python.linkMode,
    ...uvSourceArgs(ctx.config, ctx.venvPython),
  ]);
};

const syncWithPip = async (
  ctx: InstallContext,
  pins: readonly Pin[],
  file: string,
  cwd: string,
  signal?: AbortSignal,
): Promise<void> => {
  const runCtx = { runner: ctx.runner, timeoutMs: ctx.config.python.installTimeoutMs, cwd, signal };
  if (pins.length > 0) {
    // --no-deps: the set is already complete and scanned; pip must not resolve anything new.
    await runOk(runCtx, "Installing the pinned packages", ctx.venvPython, [
      ...PIP,
      "install",
      "--require-hashes",
      "--no-deps",
      ...pipSourceArgs(ctx.config),
      "--requirement",
      file,
    ]);
  }
  const keep = new Set(pins.map((p) => p.name));
  const leftovers = [...(await listInstalled(ctx.venvDir)).keys()]
    .filter((name) => !keep.has(name) && !PIP_TOOLING.has(name))
    .toSorted();
  if (leftovers.length > 0)
    await runOk(runCtx, "Removing packages no longer wanted", ctx.venvPython, [
      ...PIP,
      "uninstall",
      "--yes",
      ...leftovers,
    ]);
};

/** Makes the venv hold exactly `pins` and checks the result on disk. Returns the pins as installed. */
export const installExactly = async (
  ctx: InstallContext,
  pins: readonly Pin[],
  signal?: AbortSignal,
): Promise<Pin[]> => {
  await withScratch(ctx.workDir, async (cwd, write) => {
    const file = await write("pins.txt", pinnedRequirements(pins));
    if (ctx.toolchain.kind === "uv") await syncWithUv(ctx, ctx.toolchain.uv, file, cwd, signal);
    else await syncWithPip(ctx, pins, file, cwd, signal);
  });
  const problems = compareInstalled(
    await listInstalled(ctx.venvDir),
    pins,
    ctx.toolchain.kind === "pip" ? PIP_TOOLING : new Set(),
  );
  if (problems.length > 0) {
    throw new PackageGuardError(
      "INSTALL_FAILED",
      `The virtualenv does not match the pinned set after installing: ${problems.join("; ")}`,
      {
        details: { reason: "verify", problems },
      },
    );
  }
  return [...pins].toSorted((a, b) => a.name.localeCompare(b.name));
};
