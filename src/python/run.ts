import { PackageGuardError, type ErrorDetails } from "../errors.js";
import { childEnv } from "../util/env.js";
import { describeFailure, succeeded, type RunResult, type Runner } from "../util/exec.js";
import { errorText } from "./stderr-text.js";

export type RunContext = { runner: Runner; timeoutMs: number; cwd: string; signal?: AbortSignal | undefined };

/** Runs one installer step with the scrubbed environment. Returns the result whatever the exit status. */
export const run = (ctx: RunContext, file: string, args: readonly string[]): Promise<RunResult> =>
  ctx.runner(file, args, {
    timeoutMs: ctx.timeoutMs,
    cwd: ctx.cwd,
    env: childEnv(),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });

const why = (result: RunResult): string => {
  if (result.canceled) return "canceled";
  if (result.exitCode === undefined || result.timedOut) return describeFailure(result);
  return `exit ${result.exitCode}: ${errorText(result.stderr) || "no error output"}`;
};

export const stepFailed = (what: string, result: RunResult, details: ErrorDetails = {}): PackageGuardError =>
  new PackageGuardError("INSTALL_FAILED", `${what} failed: ${why(result)}`, {
    details: {
      reason: "installer",
      command: result.command.split(" ").slice(0, 3).join(" "),
      exitCode: result.exitCode ?? null,
      ...details,
    },
  });

/** Runs a step that must succeed. */
export const runOk = async (
  ctx: RunContext,
  what: string,
  file: string,
  args: readonly string[],
): Promise<RunResult> => {
  const result = await run(ctx, file, args);
  if (!succeeded(result)) throw stepFailed(what, result);
  return result;
};
