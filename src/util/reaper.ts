import { spawn, type ChildProcess } from "node:child_process";
import { childEnv } from "./env.js";

/**
 * Children (uv, pip, pip-audit) run in process groups of their own, and one small watcher process per package-guard
 * process knows those groups. The watcher reads our end of a pipe; when we die, even by SIGKILL, the pipe closes and
 * it kills every group still registered, so no installer outlives the process that started it and keeps changing a
 * venv nobody will account for. "+<pgid>" registers a group, "-<pgid>" forgets it.
 */
const WATCHER = `
const groups = new Set();
let buffer = "";
const reap = () => {
  for (const g of groups) { try { process.kill(-g, "SIGKILL"); } catch {} }
  process.exit(0);
};
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffer += chunk;
  for (let i = buffer.indexOf("\\n"); i >= 0; i = buffer.indexOf("\\n")) {
    const line = buffer.slice(0, i);
    buffer = buffer.slice(i + 1);
    const pgid = Number(line.slice(1));
    if (!Number.isSafeInteger(pgid) || pgid <= 1) continue;
    if (line[0] === "+") groups.add(pgid);
    else if (line[0] === "-") groups.delete(pgid);
  }
});
process.stdin.on("end", reap);
process.stdin.on("close", reap);
process.stdin.on("error", reap);
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(s, () => undefined);
`;

// One watcher per process, shared by every copy of this module (dist and src side by side in tests).
const KEY = Symbol.for("openclaw-package-guard.reaper");
const globals = globalThis as unknown as Record<symbol, ChildProcess | null | undefined>;

const watcher = (): ChildProcess | null => {
  const current = globals[KEY];
  if (current && current.exitCode === null && current.signalCode === null && current.stdin?.writable) return current;
  try {
    const child = spawn(process.execPath, ["-e", WATCHER], {
      // Its own group: a signal sent to our group (Ctrl-C, kill -- -pgid) must not take the watcher with us.
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
      env: childEnv(),
    });
    child.on("error", () => {
      if (globals[KEY] === child) globals[KEY] = null;
    });
    child.stdin?.on("error", () => undefined);
    // Neither the watcher nor its pipe may keep the gateway or the CLI alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    globals[KEY] = child;
    return child;
  } catch {
    globals[KEY] = null;
    return null;
  }
};

const send = (line: string): void => {
  const w = watcher();
  w?.stdin?.write(`${line}\n`);
};

/** Registers a child's process group (its pid, since it leads its own group). */
export const watchGroup = (pgid: number): void => send(`+${pgid}`);

/**
 * The child is done: its group is forgotten, and after a timeout or cancel whatever is left of it (grandchildren) is
 * killed. Only then: a group that has emptied may see its id reused, and a kill must never reach a stranger.
 */
export const releaseGroup = (pgid: number, abnormal: boolean): void => {
  if (abnormal) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // ESRCH: nothing was left of it.
    }
  }
  send(`-${pgid}`);
};
