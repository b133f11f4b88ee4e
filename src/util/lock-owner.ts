import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { open, readFile, rm, rmdir, stat } from "node:fs/promises";
import { hostname } from "node:os";

// One token per process, shared by every copy of this module (dist and src side by side in tests).
const TOKEN_KEY = Symbol.for("openclaw-package-guard.lock-token");
const globals = globalThis as unknown as Record<symbol, string | undefined>;
const processToken = (): string => (globals[TOKEN_KEY] ??= randomUUID());

/** Who holds a lock directory: `ino` and `born` (its birth time) tell that lock directory from a later one. */
type Owner = { pid: number; host: string; token: string; ino: number; born?: number };

const identity = async (lockDir: string): Promise<{ ino: number; born: number } | null> =>
  stat(lockDir).then(
    (s) => ({ ino: s.ino, born: s.birthtimeMs }),
    () => null,
  );

/** Written right after taking the lock: who holds it, and which lock directory it belongs to. */
export const recordOwner = async (ownerFile: string, lockDir: string): Promise<void> => {
  const id = await identity(lockDir);
  if (id === null) throw new Error(`lock directory ${lockDir} vanished right after it was taken`);
  const owner: Owner = { pid: process.pid, host: hostname(), token: processToken(), ino: id.ino, born: id.born };
  // Written in place, no fsync, never through a link: a torn or missing record only means waiting for staleness
  // (it does not parse), and after a power cut every recorded pid is dead anyway.
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
  const handle = await open(ownerFile, flags, 0o600);
  try {
    await handle.writeFile(JSON.stringify(owner), "utf8");
  } finally {
    await handle.close();
  }
};

export const forgetOwner = (ownerFile: string): Promise<void> => rm(ownerFile, { force: true });

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

const sameDir = (owner: Owner, id: { ino: number; born: number } | null): boolean =>
  id !== null && id.ino === owner.ino && (owner.born === undefined || owner.born === id.born);

/**
 * After a crash a lock directory stays fresh-looking until it goes stale, which would block every later writer
 * meanwhile. When the recorded holder is a process on this host that no longer exists (or our own pid from a
 * previous life, as with pid 1 in a container), the lock is dropped at once. Anything unclear (another host, an
 * unreadable record, another lock directory) waits for staleness instead.
 */
export const breakIfOwnerGone = async (ownerFile: string, lockDir: string): Promise<boolean> => {
  const text = await readFile(ownerFile, "utf8").catch(() => null);
  if (text === null) return false;
  let owner: Owner;
  try {
    owner = JSON.parse(text) as Owner;
  } catch {
    return false;
  }
  if (!sameDir(owner, await identity(lockDir)) || owner.host !== hostname() || owner.token === processToken())
    return false;
  if (owner.pid !== process.pid && alive(owner.pid)) return false;
  // Re-check right before removing: the narrower the window, the less chance of removing a new holder's lock.
  if (!sameDir(owner, await identity(lockDir))) return false;
  await rmdir(lockDir).catch(() => undefined);
  return true;
};
