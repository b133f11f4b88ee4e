import { spawn } from "node:child_process";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import lockfile from "proper-lockfile";
import { describe, expect, it } from "vitest";
import { isPackageGuardError } from "../../../src/errors.js";
import { lockOwnerFile } from "../../../src/util/file-lock.js";
import { entry, openLog, readLines } from "./helpers.js";

describe("locking", () => {
  it("fails with AUDIT_UNAVAILABLE (cause BUSY) when a live holder keeps the lock, and writes nothing", async () => {
    const log = await openLog({ lockTimeoutMs: 150 });
    await log.append(entry());
    const release = await lockfile.lock(log.file, { realpath: false, stale: 30_000 });
    try {
      const error = await log.append(entry()).catch((e: unknown) => e);
      expect(isPackageGuardError(error)).toBe(true);
      expect(error).toMatchObject({ code: "AUDIT_UNAVAILABLE", details: { file: log.file, cause: "BUSY" } });
    } finally {
      await release();
    }
    expect(await readLines(log.file)).toHaveLength(1);
    expect((await log.append(entry())).seq).toBe(2);
  });

  it("waits for a lock released within the timeout", async () => {
    const log = await openLog({ lockTimeoutMs: 5000 });
    const release = await lockfile.lock(log.file, { realpath: false, stale: 30_000 });
    const pending = log.append(entry());
    setTimeout(() => void release(), 100);
    expect((await pending).seq).toBe(1);
  });

  it("an append that could not take the lock does not block later appends from the same process", async () => {
    const log = await openLog({ lockTimeoutMs: 100 });
    const release = await lockfile.lock(log.file, { realpath: false, stale: 30_000 });
    const first = log.append(entry()).catch((e: unknown) => e);
    await expect(first).resolves.toMatchObject({ code: "AUDIT_UNAVAILABLE", details: { cause: "BUSY" } });
    await release();
    expect((await log.append(entry())).seq).toBe(1);
  });
});

describe("a writer that died holding the lock", () => {
  const deadPid = async (): Promise<number> => {
    const child = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => child.on("exit", r));
    return child.pid!;
  };

  it("loses its lock at once: the next append does not wait for staleness and is recorded", async () => {
    const log = await openLog({ lockTimeoutMs: 300 });
    await log.append(entry());
    // What SIGKILL mid-append leaves: the lock directory and the record of its holder, a process now gone.
    await mkdir(`${log.file}.lock`);
    const { ino, birthtimeMs } = await stat(`${log.file}.lock`);
    await writeFile(
      lockOwnerFile(log.file),
      JSON.stringify({ pid: await deadPid(), host: hostname(), token: "dead", ino, born: birthtimeMs }),
    );
    expect((await log.append(entry({ package: "after-crash" }))).seq).toBe(2);
    expect(await log.verify()).toEqual({ ok: true, records: 2, files: 1 });
  });

  it("keeps a lock whose holder is alive (another process), and a lock of another lock directory", async () => {
    const log = await openLog({ lockTimeoutMs: 150 });
    await mkdir(`${log.file}.lock`);
    const { ino, birthtimeMs } = await stat(`${log.file}.lock`);
    const alive = { pid: process.ppid, host: hostname(), token: "other", ino, born: birthtimeMs };
    await writeFile(lockOwnerFile(log.file), JSON.stringify(alive));
    await expect(log.append(entry())).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE", details: { cause: "BUSY" } });
    const stale = { ...alive, pid: await deadPid(), ino: ino + 1 };
    await writeFile(lockOwnerFile(log.file), JSON.stringify(stale));
    await expect(log.append(entry())).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE", details: { cause: "BUSY" } });
    expect(await readLines(log.file)).toHaveLength(0);
  });
});
