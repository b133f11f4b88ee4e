import { execa } from "execa";
import { childEnv, type ChildEnv } from "./env.js";
import { releaseGroup, watchGroup } from "./reaper.js";

export type RunOptions = {
  timeoutMs: number;
  cwd?: string;
  env?: ChildEnv;
  input?: string;
  signal?: AbortSignal;
  /** Output beyond this many bytes (per stream) fails the run rather than growing memory. */
  maxBuffer?: number;
};

export type RunResult = {
  command: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  canceled: boolean;
  signal: string | undefined;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  spawnError: string | undefined;
};

/** Injected into everything that spawns, so tests can record or forbid calls. */
export type Runner = (file: string, args: readonly string[], options: RunOptions) => Promise<RunResult>;

// SECURITY: argv arrays only, never a shell; a scrubbed environment; always a timeout. Each child leads a process
// group of its own, which dies with us (reaper.ts) and is cleared when the child ends.
export const runProcess: Runner = async (file, args, options) => {
  const subprocess = execa(file, [...args], {
    shell: false,
    detached: true,
    extendEnv: false,
    env: options.env ?? childEnv(),
    cwd: options.cwd,
    input: options.input ?? "",
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024,
    forceKillAfterDelay: 2_000,
    reject: false,
    stripFinalNewline: false,
    encoding: "utf8",
  });
  const pgid = subprocess.pid;
  if (pgid !== undefined) watchGroup(pgid);
  let result: Awaited<typeof subprocess>;
  let abnormal = true;
  try {
    result = await subprocess;
    abnormal = result.timedOut || result.isCanceled || result.signal !== undefined;
  } finally {
    if (pgid !== undefined) releaseGroup(pgid, abnormal);
  }
  const errno = (result as { code?: unknown }).code;
  return {
    command: [file, ...args].join(" "),
    exitCode: result.exitCode,
    stdout: typeof result.stdout === "string" ? result.stdout : "",
    stderr: typeof result.stderr === "string" ? result.stderr : "",
    timedOut: result.timedOut,
    canceled: result.isCanceled,
    signal: result.signal,
    spawnError: typeof errno === "string" && result.exitCode === undefined ? errno : undefined,
  };
};

/** Exit 0, and neither canceled nor timed out (a killed process can still report 0). */
export const succeeded = (result: RunResult): boolean => result.exitCode === 0 && !result.canceled && !result.timedOut;

/** A one-line account of a failed run, for error messages and logs (stderr tail only, never the env). */
export const describeFailure = (result: RunResult): string => {
  if (result.spawnError) return `could not start ${result.command.split(" ")[0]} (${result.spawnError})`;
  if (result.timedOut) return `timed out: ${result.command.split(" ")[0]}`;
  if (result.signal) return `killed by ${result.signal}: ${result.command.split(" ")[0]}`;
  const tail = result.stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 500);
  return `exit ${result.exitCode ?? "?"}${tail ? `: ${tail}` : ""}`;
};
