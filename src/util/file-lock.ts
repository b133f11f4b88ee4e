import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import lockfile from "proper-lockfile";
import { PackageGuardError } from "../errors.js";
import { breakIfOwnerGone, forgetOwner, recordOwner } from "./lock-owner.js";

export type FileLockOptions = {
  /** How messages name the file: "The approvals file", "The audit log /x/audit.jsonl". */
  what: string;
  /** How long to keep retrying before BUSY. */
  timeoutMs: number;
  /**
   * A holder that has not refreshed the lock for this long is presumed dead and its lock is taken over. A holder
   * recorded as a process of this host that no longer exists loses its lock at once.
   */
  staleMs?: number;
};

const busy = (file: string, message: string, details: Record<string, unknown>, cause: unknown): PackageGuardError =>
  new PackageGuardError("BUSY", message, { details: { file, ...details }, cause });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Where the holder of `<file>.lock` is written down (pid, host, which lock directory). */
export const lockOwnerFile = (file: string): string => `${file}.lock-owner`;

/**
 * Takes `<file>.lock` (proper-lockfile), polling until `timeoutMs` has passed. Between attempts, a lock left by a
 * dead writer (killed mid-append) is broken at once instead of blocking every writer until it goes stale.
 */
const acquire = async (
  file: string,
  options: Required<FileLockOptions>,
  onCompromised: (error: Error) => void,
): Promise<() => Promise<void>> => {
  const lockDir = `${file}.lock`;
  const deadline = Date.now() + options.timeoutMs;
  let pause = 5;
  for (;;) {
    try {
      // The default onCompromised throws from a timer and would take the whole gateway down with it.
      return await lockfile.lock(file, { realpath: false, stale: options.staleMs, retries: 0, onCompromised });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
      if (await breakIfOwnerGone(lockOwnerFile(file), lockDir)) continue;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw busy(
          file,
          `${options.what} is locked by another process; retry in a moment`,
          { lockTimeoutMs: options.timeoutMs },
          error,
        );
      }
      await sleep(Math.min(left, pause * (0.5 + Math.random())));
      pause = Math.min(100, pause * 1.5);
    }
  }
};

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
  const resolved = { staleMs: 10_000, ...options };
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let compromised: Error | undefined;
  const release = await acquire(file, resolved, (error) => {
    compromised = error;
  });
  const owner = lockOwnerFile(file);
  try {
    await recordOwner(owner, `${file}.lock`);
  } catch (error) {
    await release().catch(() => undefined);
    throw error;
  }
  const assertHeld = (): void => {
    if (compromised) throw busy(file, `Lost the lock on ${options.what}; nothing was written`, {}, compromised);
  };
  try {
    return await fn(assertHeld);
  } finally {
    await forgetOwner(owner).catch(() => undefined);
    await release().catch(() => undefined);
  }
};
