import { mkdir } from "node:fs/promises";
import lockfile from "proper-lockfile";
import { PackageGuardError } from "../errors.js";
import { breakIfOwnerGone, forgetOwner, recordOwner } from "./lock-owner.js";

const STALE_MS = 10 * 60_000;
const UPDATE_MS = 60_000;
const POLL_MS = 100;

const busy = (skill: string): PackageGuardError =>
  new PackageGuardError("BUSY", `Skill '${skill}' is busy with another install; retry in a moment`, {
    details: { skill },
  });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes `<target>.lock`, polling until `timeoutMs` has passed (0 = one attempt). The lock is a directory
 * whose mtime is refreshed while held, so a crashed holder's lock goes stale after 10 minutes and is taken over.
 */
const acquire = async (
  target: string,
  skill: string,
  timeoutMs: number,
  onWait?: () => void,
): Promise<() => Promise<void>> => {
  const deadline = Date.now() + timeoutMs;
  const lockDir = `${target}.lock`;
  let waiting = false;
  for (;;) {
    try {
      const release = await lockfile.lock(target, {
        realpath: false,
        stale: STALE_MS,
        update: UPDATE_MS,
        retries: 0,
        // The default throws from a timer, which would take the whole gateway down; the install finishes instead.
        onCompromised: () => undefined,
      });
      await recordOwner(target, lockDir).catch(async (error: unknown) => {
        await release().catch(() => undefined);
        throw error;
      });
      return async () => {
        await forgetOwner(target);
        await release();
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
      if (await breakIfOwnerGone(target, lockDir)) continue;
      const left = deadline - Date.now();
      if (left <= 0) throw busy(skill);
      if (!waiting) {
        waiting = true;
        onWait?.();
      }
      await sleep(Math.min(POLL_MS, left));
    }
  }
};

/** Runs `fn` holding the skill's lock; serializes installs per skill across processes and within one. */
export const withSkillLock = async <T>(
  target: string,
  skill: string,
  timeoutMs: number,
  fn: () => Promise<T>,
  onWait?: () => void,
): Promise<T> => {
  await mkdir(target, { recursive: true, mode: 0o700 });
  const release = await acquire(target, skill, timeoutMs, onWait);
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
};
