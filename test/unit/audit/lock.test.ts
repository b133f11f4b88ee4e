import lockfile from "proper-lockfile";
import { describe, expect, it } from "vitest";
import { isPackageGuardError } from "../../../src/errors.js";
import { entry, openLog, readLines } from "./helpers.js";

describe("locking", () => {
  it("fails with BUSY when another holder keeps the lock, and writes nothing", async () => {
    const log = await openLog({ lockTimeoutMs: 150 });
    await log.append(entry());
    const release = await lockfile.lock(log.file, { realpath: false, stale: 30_000 });
    try {
      const error = await log.append(entry()).catch((e: unknown) => e);
      expect(isPackageGuardError(error)).toBe(true);
      expect(error).toMatchObject({ code: "BUSY", details: { file: log.file } });
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

  it("a BUSY append does not block later appends from the same process", async () => {
    const log = await openLog({ lockTimeoutMs: 100 });
    const release = await lockfile.lock(log.file, { realpath: false, stale: 30_000 });
    const first = log.append(entry()).catch((e: unknown) => e);
    await expect(first).resolves.toMatchObject({ code: "BUSY" });
    await release();
    expect((await log.append(entry())).seq).toBe(1);
  });
});
