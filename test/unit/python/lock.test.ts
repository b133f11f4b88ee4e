import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { describe, expect, it, vi } from "vitest";
import { isPackageGuardError } from "../../../src/errors.js";
import { withSkillLock } from "../../../src/python/lock.js";
import { testTempDir } from "../../helpers/temp-dir.js";

const dir = () => testTempDir("pg-lock-");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("per-skill lock", () => {
  it("gives BUSY with the documented message when the lock stays taken", async () => {
    const target = join(await dir(), "skills", "a");
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    // Wait for the holder to be inside the lock (a sleep is not enough on a loaded machine).
    const held = withSkillLock(target, "a", 1000, () => new Promise<void>((r) => ((release = r), entered())));
    await inside;
    const attempts = vi.spyOn(lockfile, "lock");
    let ran = false;
    const error = await withSkillLock(target, "a", 150, async () => {
      ran = true;
    }).catch((e: unknown) => e);
    expect(isPackageGuardError(error) && error.code).toBe("BUSY");
    expect((error as Error).message).toBe("Skill 'a' is busy with another install; retry in a moment");
    expect(ran).toBe(false);
    // It kept trying until the timeout rather than giving up at once (counted, not timed).
    expect(attempts.mock.calls.length).toBeGreaterThan(1);
    attempts.mockRestore();
    release();
    await held;
  });

  it("with timeout 0 tries exactly once", async () => {
    const target = join(await dir(), "a");
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    // Wait for the holder to be inside the lock (a sleep is not enough on a loaded machine).
    const held = withSkillLock(target, "a", 0, () => new Promise<void>((r) => ((release = r), entered())));
    await inside;
    const attempts = vi.spyOn(lockfile, "lock");
    await expect(withSkillLock(target, "a", 0, async () => 1)).rejects.toMatchObject({ code: "BUSY" });
    expect(attempts).toHaveBeenCalledTimes(1);
    attempts.mockRestore();
    release();
    await held;
    expect(await withSkillLock(target, "a", 0, async () => 2)).toBe(2);
  });

  it("serializes holders in order and releases on errors", async () => {
    const target = join(await dir(), "a");
    const log: string[] = [];
    const first = withSkillLock(target, "a", 5000, async () => {
      log.push("first:start");
      await sleep(150);
      log.push("first:end");
      throw new Error("boom");
    });
    await sleep(20);
    const second = withSkillLock(target, "a", 5000, async () => log.push("second"));
    await expect(first).rejects.toThrow("boom");
    await second;
    expect(log).toEqual(["first:start", "first:end", "second"]);
  });

  it("different skills do not wait for each other", async () => {
    const root = await dir();
    let release!: () => void;
    const held = withSkillLock(join(root, "a"), "a", 0, () => new Promise<void>((r) => (release = r)));
    await sleep(20);
    expect(await withSkillLock(join(root, "b"), "b", 0, async () => "b")).toBe("b");
    release();
    await held;
  });

  it("takes over at once from a holder process that died (no 10-minute wait after a crash)", async () => {
    const target = join(await dir(), "a");
    await mkdir(target, { recursive: true });
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 10)"]);
    await new Promise((r) => child.on("exit", r));
    await mkdir(`${target}.lock`);
    const { ino } = await import("node:fs/promises").then((fs) => fs.stat(`${target}.lock`));
    const { hostname } = await import("node:os");
    await writeFile(
      join(target, "lock-owner.json"),
      JSON.stringify({ pid: child.pid, host: hostname(), token: "dead", ino }),
    );
    expect(await withSkillLock(target, "a", 0, async () => "taken")).toBe("taken");
  });

  it("does not take over from a live process", async () => {
    const target = join(await dir(), "a");
    await mkdir(`${target}.lock`, { recursive: true });
    const { ino } = await import("node:fs/promises").then((fs) => fs.stat(`${target}.lock`));
    const { hostname } = await import("node:os");
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 5000)"]);
    try {
      await mkdir(target, { recursive: true });
      await writeFile(
        join(target, "lock-owner.json"),
        JSON.stringify({ pid: child.pid, host: hostname(), token: "other", ino }),
      );
      await expect(withSkillLock(target, "a", 0, async () => 1)).rejects.toMatchObject({ code: "BUSY" });
      expect(JSON.parse(await readFile(join(target, "lock-owner.json"), "utf8")).pid).toBe(child.pid);
    } finally {
      child.kill();
    }
  });
});
