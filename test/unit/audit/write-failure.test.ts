import { readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog } from "../../../src/audit/log.js";
import { isPackageGuardError } from "../../../src/errors.js";
import { entry, openLog, readLines, tempDir } from "./helpers.js";

const failing = (code: string) => async (): Promise<void> => {
  throw Object.assign(new Error(`${code}: simulated`), { code });
};

describe("an append that cannot be written", () => {
  for (const code of ["ENOSPC", "EROFS", "EIO"]) {
    it(`fails loudly with AUDIT_UNAVAILABLE on ${code}, and the log stays as it was`, async () => {
      const healthy = await openLog();
      await healthy.append(entry());
      const broken = await AuditLog.open(healthy.file, { write: failing(code) });
      const error = await broken.append(entry({ package: "lost" })).catch((e: unknown) => e);
      expect(isPackageGuardError(error)).toBe(true);
      expect(error).toMatchObject({ code: "AUDIT_UNAVAILABLE", details: { file: healthy.file, cause: code } });
      expect((error as Error).message).toContain(healthy.file);
      expect(await readLines(healthy.file)).toHaveLength(1);
      // Once the disk is back, the chain goes on where it was and verifies.
      expect((await healthy.append(entry())).seq).toBe(2);
      expect(await healthy.verify()).toEqual({ ok: true, records: 2, files: 1 });
    });
  }
});

describe("a symlinked audit log", () => {
  it("is refused, not followed: opening and appending fail and the link's target is untouched", async () => {
    const dir = await tempDir();
    const target = join(dir, "elsewhere.txt");
    await writeFile(target, "precious\n");
    const file = join(dir, "audit.jsonl");
    await symlink(target, file);
    await expect(AuditLog.open(file)).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    expect(await readFile(target, "utf8")).toBe("precious\n");
  });

  it("is refused when the link appears after the log was opened", async () => {
    const log = await openLog();
    await log.append(entry());
    const dir = await tempDir();
    const target = join(dir, "elsewhere.txt");
    await writeFile(target, "precious\n");
    const { rm } = await import("node:fs/promises");
    await rm(log.file);
    await symlink(target, log.file);
    await expect(log.append(entry())).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    expect(await readFile(target, "utf8")).toBe("precious\n");
  });
});
