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
  /** Parent of the scratch folder (the skill's data folder). */
  workDir: string;
};

/** What a resolve must hold to: exact pins that may not move, and ranges (whitelist ranges of dependencies). */
export type ResolveLimits = { pins?: readonly Pin[]; ranges?: Readonly<Record<string, string>> };

const compileArgs = (ctx: ResolveContext, input: string, constraints: string | null): string[] => [
  "pip",
  "compile",
  input,
  "--no-header",
  "--generate-hashes",
  ...uvSourceArgs(ctx.config, ctx.toolchain.basePython),
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

/**
 * The complete pinned set (transitive dependencies, every sha256) for `wanted`, for the base interpreter (the one
 * every venv links to). `limits` always hold: a resolve that cannot meet them fails, and is never retried without
 * them (an index answering 503 must not turn "keep these pins" into "take the newest").
 */
export const resolvePins = async (
  ctx: ResolveContext,
  wanted: Wanted,
  signal?: AbortSignal,
  limits: ResolveLimits = {},
): Promise<Pin[]> => {
  if (Object.keys(wanted).length === 0) return [];
  const pins = limits.pins ?? [];
  const ranges = limits.ranges ?? {};
  return withScratch(ctx.workDir, async (cwd, write) => {
    const input = await write("requirements.in", requirementsIn(wanted));
    const hasConstraints = pins.length > 0 || Object.keys(ranges).length > 0;
    const constraintPath = hasConstraints ? await write("constraints.txt", constraintsFile(pins, ranges)) : null;
    const runCtx = { runner: ctx.runner, timeoutMs: ctx.config.python.installTimeoutMs, cwd, signal };
    const { toolchain } = ctx;
    const result =
      toolchain.kind === "uv"
        ? await run(runCtx, toolchain.uv, compileArgs(ctx, input, constraintPath))
        : await run(runCtx, toolchain.pipPython, pipDryRunArgs(ctx, input, constraintPath));
    if (!succeeded(result)) throw resolveFailure(result, wanted, ctx.config.index.url, ctx.config.index.cooldowns);
    return toolchain.kind === "uv" ? parseCompileOutput(result.stdout) : parsePipReport(result.stdout);
  });
};
