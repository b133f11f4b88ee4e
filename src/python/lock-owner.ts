import { randomUUID } from "node:crypto";
import { readFile, rm, rmdir, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../util/fs.js";

// One token per process, shared by every copy of this module (dist and src side by side in tests).
const TOKEN_KEY = Symbol.for("openclaw-package-guard.lock-token");
const globals = globalThis as unknown as Record<symbol, string | undefined>;
const processToken = (): string => (globals[TOKEN_KEY] ??= randomUUID());

type Owner = { pid: number; host: string; token: string; ino: number };

const ownerFile = (target: string): string => join(target, "lock-owner.json");

/** Written right after taking the lock: who holds it, and which lock directory (by inode) it belongs to. */
export const recordOwner = async (target: string, lockDir: string): Promise<void> => {
  const { ino } = await stat(lockDir);
  const owner: Owner = { pid: process.pid, host: hostname(), token: processToken(), ino };
  await writeFileAtomic(ownerFile(target), JSON.stringify(owner));
};

export const forgetOwner = (target: string): Promise<void> => rm(ownerFile(target), { force: true });

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * After a crash the lock directory stays fresh-looking for up to `stale`, which would block the restarted
 * gateway's recovery and every install for minutes. When the recorded holder is a process on this host that
 * no longer exists (or our own pid from a previous life, as with pid 1 in a container), the lock is dropped.
 * Anything unclear (other host, unreadable owner, another lock directory) waits for staleness instead.
 */
export const breakIfOwnerGone = async (target: string, lockDir: string): Promise<boolean> => {
  const text = await readFile(ownerFile(target), "utf8").catch(() => null);
  if (text === null) return false;
  let owner: Owner;
  try {
    owner = JSON.parse(text) as Owner;
  } catch {
    return false;
  }
  const dirIno = await stat(lockDir).then(
    (s) => s.ino,
    () => null,
  );
  if (dirIno === null || dirIno !== owner.ino || owner.host !== hostname() || owner.token === processToken())
    return false;
  if (owner.pid !== process.pid && alive(owner.pid)) return false;
  // Re-check right before removing: the narrower the window, the less chance of removing a new holder's lock.
  if (
    (await stat(lockDir).then(
      (s) => s.ino,
      () => null,
    )) !== owner.ino
  )
    return false;
  await rmdir(lockDir).catch(() => undefined);
  return true;
};
