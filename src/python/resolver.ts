import type { PackageGuardConfig } from "../config.js";
import { uvCooldownArgs } from "../policy/cooldown.js";
import { succeeded, type Runner } from "../util/exec.js";
import { parseCompileOutput } from "./compile-output.js";
import { parsePipReport } from "./pip-report.js";
import { constraintsFile, requirementsIn } from "./requirements-file.js";
import { resolveFailure } from "./resolve-failure.js";
import { run } from "./run.js";
import { withScratch } from "./scratch.js";
import { PIP, pipSourceArgs, uvSourceArgs, type Toolchain } from "./toolchain.js";
import type { Pin, Wanted } from "./types.js";

export type ResolveContext = {
  config: PackageGuardConfig;
  runner: Runner;
  toolchain: Toolchain;
  venvPython: string;
  /** Parent of the scratch folder (the skill's data folder). */
  workDir: string;
};

const compileArgs = (ctx: ResolveContext, input: string, constraints: string | null): string[] => [
  "pip",
  "compile",
  input,
  "--no-header",
  "--no-annotate",
  "--generate-hashes",
  ...uvSourceArgs(ctx.config, ctx.venvPython),
  ...uvCooldownArgs(ctx.config.index.cooldowns, new Date()),
  ...(constraints ? ["--constraints", constraints] : []),
];

const pipDryRunArgs = (ctx: ResolveContext, input: string, constraints: string | null): string[] => [
  ...PIP,
  "install",
  "--dry-run",
  "--ignore-installed",
  "--report",
  "-",
  "--quiet",
  ...pipSourceArgs(ctx.config),
  ...(constraints ? ["--constraint", constraints] : []),
  "--requirement",
  input,
];

const resolveOnce = async (
  ctx: ResolveContext,
  wanted: Wanted,
  constraints: Pin[] | undefined,
  ranges: Record<string, string>,
  signal?: AbortSignal,
): Promise<Pin[]> =>
  withScratch(ctx.workDir, async (cwd, write) => {
    const input = await write("requirements.in", requirementsIn(wanted));
    const hasConstraints = (constraints?.length ?? 0) > 0 || Object.keys(ranges).length > 0;
    const constraintPath = hasConstraints
      ? await write("constraints.txt", constraintsFile(constraints ?? [], ranges))
      : null;
    const runCtx = { runner: ctx.runner, timeoutMs: ctx.config.python.installTimeoutMs, cwd, signal };
    const uv = ctx.toolchain.kind === "uv" ? ctx.toolchain.uv : null;
    const result = uv
      ? await run(runCtx, uv, compileArgs(ctx, input, constraintPath))
      : await run(runCtx, ctx.venvPython, pipDryRunArgs(ctx, input, constraintPath));
    if (!succeeded(result)) throw resolveFailure(result, wanted, ctx.config.index.url, ctx.config.index.cooldowns);
    return uv ? parseCompileOutput(result.stdout) : parsePipReport(result.stdout);
  });

/**
 * The complete pinned set (transitive dependencies, every sha256) for `wanted`, for the skill's interpreter.
 * Constraints keep unrelated packages where they are (uninstall); if they cannot hold, resolve freely.
 */
export const resolvePins = async (
  ctx: ResolveContext,
  wanted: Wanted,
  signal?: AbortSignal,
  constraints?: Pin[],
  ranges: Record<string, string> = {},
): Promise<Pin[]> => {
  if (Object.keys(wanted).length === 0) return [];
  if (constraints && constraints.length > 0) {
    try {
      return await resolveOnce(ctx, wanted, constraints, ranges, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
    }
  }
  return resolveOnce(ctx, wanted, undefined, ranges, signal);
};
