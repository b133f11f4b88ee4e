import lockfile from "proper-lockfile";
import { PackageGuardError } from "../errors.js";

// A holder that has not refreshed its lock for this long is presumed dead (crashed mid-append).
const LOCK_STALE_MS = 30_000;

const busy = (file: string, message: string, details: Record<string, unknown>, cause: unknown): PackageGuardError =>
  new PackageGuardError("BUSY", message, { details: { file, ...details }, cause });

/**
 * Runs `fn` holding the cross-process lock on `file` (a `<file>.lock` directory), retrying for up to
 * `timeoutMs`. `assertHeld` throws if the lock was lost meanwhile, so `fn` can check before it writes.
 */
export const withFileLock = async <T>(file: string, timeoutMs: number, fn: (assertHeld: () => void) => Promise<T>): Promise<T> => {
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      stale: LOCK_STALE_MS,
      retries: { retries: Math.ceil(timeoutMs / 10), factor: 1.2, minTimeout: 5, maxTimeout: 100, randomize: true, maxRetryTime: timeoutMs },
      // The default throws from a timer and would take the whole gateway down with it.
      onCompromised: (error) => {
        compromised = error;
      },
    });
  } catch (error) {
    // `retry` reports running out of time as a plain Error when no attempt finished inside the window.
    if ((error as NodeJS.ErrnoException).code === "ELOCKED" || (error as Error).message === "RetryOperation timeout occurred") {
      throw busy(file, `The audit log ${file} is locked by another process; try again shortly`, { lockTimeoutMs: timeoutMs }, error);
    }
    throw error;
  }
  const assertHeld = (): void => {
    if (compromised) throw busy(file, `Lost the audit log lock on ${file}; the record was not written`, {}, compromised);
  };
  try {
    return await fn(assertHeld);
  } finally {
    await release().catch(() => undefined);
  }
};
