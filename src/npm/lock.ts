import { withFileLock } from "../util/file-lock.js";

// A holder refreshes its lock every half of this; one that stopped (a crash) loses it after this long.
const STALE_MS = 60_000;

/** Runs `fn` holding the component's lock: one install or uninstall per component at a time, across processes. */
export const withComponentLock = <T>(
  lockTarget: string,
  id: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> => withFileLock(lockTarget, { what: `Component '${id}'`, timeoutMs, staleMs: STALE_MS }, () => fn());
