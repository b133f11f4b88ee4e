import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import lockfile from "proper-lockfile";
import { PackageGuardError } from "../errors.js";

/**
 * Runs `fn` holding a cross-process lock on `file` (proper-lockfile, `<file>.lock`), so a gateway and the CLI
 * editing the same state file cannot lose each other's writes. BUSY when it cannot be had within `timeoutMs`.
 */
export const withFileLock = async <T>(file: string, what: string, fn: () => Promise<T>, timeoutMs = 5_000): Promise<T> => {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      stale: 10_000,
      retries: { retries: Math.max(1, Math.ceil(timeoutMs / 100)), minTimeout: 50, maxTimeout: 100 },
    });
  } catch (error) {
    throw new PackageGuardError("BUSY", `${what} is locked by another process; retry in a moment`, { cause: error });
  }
  try {
    return await fn();
  } finally {
    await release();
  }
};
