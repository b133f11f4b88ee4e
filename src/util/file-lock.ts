import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import lockfile from "proper-lockfile";
import { PackageGuardError } from "../errors.js";

export type FileLockOptions = {
  /** How messages name the file: "The approvals file", "The audit log /x/audit.jsonl". */
  what: string;
  /** How long to keep retrying before BUSY. */
  timeoutMs: number;
  /** A holder that has not refreshed the lock for this long is presumed dead and its lock is taken over. */
  staleMs?: number;
};

const busy = (file: string, message: string, details: Record<string, unknown>, cause: unknown): PackageGuardError =>
  new PackageGuardError("BUSY", message, { details: { file, ...details }, cause });

/**
 * Runs `fn` holding a cross-process lock on `file` (proper-lockfile, a `<file>.lock` directory), so a gateway and
 * the CLI writing the same state file cannot lose each other's writes. BUSY when it cannot be had within
 * `timeoutMs`. `assertHeld` throws if the lock was lost meanwhile, so `fn` can check right before it writes.
 */
export const withFileLock = async <T>(
  file: string,
  options: FileLockOptions,
  fn: (assertHeld: () => void) => Promise<T>,
): Promise<T> => {
  const { what, timeoutMs, staleMs = 10_000 } = options;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      stale: staleMs,
      retries: {
        retries: Math.ceil(timeoutMs / 10),
        factor: 1.2,
        minTimeout: 5,
        maxTimeout: 100,
        randomize: true,
        maxRetryTime: timeoutMs,
      },
      // The default throws from a timer and would take the whole gateway down with it.
      onCompromised: (error) => {
        compromised = error;
      },
    });
  } catch (error) {
    // `retry` reports running out of time as a plain Error when no attempt finished inside the window.
    if (
      (error as NodeJS.ErrnoException).code === "ELOCKED" ||
      (error as Error).message === "RetryOperation timeout occurred"
    ) {
      throw busy(file, `${what} is locked by another process; retry in a moment`, { lockTimeoutMs: timeoutMs }, error);
    }
    throw error;
  }
  const assertHeld = (): void => {
    if (compromised) throw busy(file, `Lost the lock on ${what}; nothing was written`, {}, compromised);
  };
  try {
    return await fn(assertHeld);
  } finally {
    await release().catch(() => undefined);
  }
};
