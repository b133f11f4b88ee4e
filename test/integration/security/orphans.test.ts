import { execFile, spawn } from "node:child_process";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../../helpers/until.js";

/*
 * Issue 13 item 10: a child package-guard starts (uv, pip, pip-audit) runs in a process group of its own and dies
 * with the process that started it, even when that process is SIGKILLed and cannot clean up.
 */
const run = promisify(execFile);
const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let dir: string | undefined;
let orphan: number | undefined;
afterEach(async () => {
  if (orphan !== undefined && alive(orphan)) process.kill(orphan, "SIGKILL");
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("children die with their parent", () => {
  it("a child started through runProcess is killed when its parent is SIGKILLed", async () => {
    dir = await mkdtemp(join(tmpdir(), "pg-orphans-"));
    const pidFile = join(dir, "child.pid");
    const parent = spawn(
      process.execPath,
      ["--import", "tsx", resolve(import.meta.dirname, "orphan-child.ts"), pidFile],
      { stdio: "ignore" },
    );
    const exited = new Promise((r) => parent.on("exit", r));
    await until("the child to start", () => exists(pidFile), 30_000);
    orphan = Number((await readFile(pidFile, "utf8")).trim());
    expect(alive(orphan)).toBe(true);
    // Its own process group: the child is not in the parent's, so a signal to the parent's group would miss it.
    const { stdout } = await run("ps", ["-o", "pgid=", "-p", String(orphan)]);
    expect(Number(stdout.trim())).toBe(orphan);
    parent.kill("SIGKILL");
    await exited;
    await until("the orphaned child to die", () => !alive(orphan!), 15_000);
  });
});
