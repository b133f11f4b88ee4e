import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { isPackageGuardError } from "../../../src/errors.js";
import { appendMany, entry, openLog, readLines, steppingClock } from "./helpers.js";

describe("AuditLog.append", () => {
  it("writes one JSON line per record, chained by seq and prev", async () => {
    const log = await openLog({ now: steppingClock() });
    const a = await log.append(entry({ agentId: "main" }));
    const b = await log.append(entry({ status: "blocked", code: "NOT_WHITELISTED" }));
    expect(a).toMatchObject({ seq: 1, prev: null, ts: "2026-01-01T00:00:00.000Z", agentId: "main", sessionKey: null });
    expect(b).toMatchObject({ seq: 2, prev: a.hash, ts: "2026-01-01T00:00:01.000Z", code: "NOT_WHITELISTED" });
    expect(a.id).not.toBe(b.id);
    const lines = await readLines(log.file);
    expect(lines.map((l) => JSON.parse(l))).toEqual([a, b]);
  });

  it("creates the directory 0700 and the file 0600", async () => {
    const log = await openLog();
    await log.append(entry());
    expect((await stat(log.file)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(log.file))).mode & 0o777).toBe(0o700);
  });

  it("continues the chain after the log is reopened", async () => {
    const log = await openLog();
    await appendMany(log, 3);
    const again = await (await import("../../../src/audit/log.js")).AuditLog.open(log.file);
    const next = await again.append(entry());
    expect(next.seq).toBe(4);
    expect((await log.verify()).ok).toBe(true);
  });

  it("keeps concurrent appends from one process in order without gaps", async () => {
    const log = await openLog();
    const records = await Promise.all(Array.from({ length: 60 }, (_, i) => log.append(entry({ details: { i } }))));
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(await log.verify()).toEqual({ ok: true, records: 60, files: 1 });
  });

  it("rejects invalid options", async () => {
    await expect(openLog({ rotateBytes: 0 })).rejects.toSatisfy(
      (e) => isPackageGuardError(e) && e.code === "CONFIG_INVALID",
    );
  });
});

describe("AuditLog.query", () => {
  it("returns records newest first", async () => {
    const log = await openLog();
    await appendMany(log, 5, (i) => ({ details: { i } }));
    expect((await log.query()).map((r) => r.seq)).toEqual([5, 4, 3, 2, 1]);
  });

  it("defaults to 100 records and clamps the limit to 1..500", async () => {
    const log = await openLog();
    await Promise.all(Array.from({ length: 520 }, () => log.append(entry())));
    expect(await log.query()).toHaveLength(100);
    expect(await log.query({ limit: 10_000 })).toHaveLength(500);
    expect(await log.query({ limit: 0 })).toHaveLength(1);
    const three = await log.query({ limit: 3 });
    expect(three.map((r) => r.seq)).toEqual([520, 519, 518]);
  });

  it("filters by package (PEP 503 insensitive), skill, agent and status, AND-ed", async () => {
    const log = await openLog();
    await log.append(entry({ package: "requests", skillId: "web", agentId: "main" }));
    await log.append(entry({ package: "numpy", skillId: "web", agentId: "main" }));
    await log.append(entry({ package: "requests", skillId: "data", agentId: "main", status: "blocked" }));
    await log.append(entry({ package: "requests", skillId: "web", agentId: "research" }));
    await log.append(entry({ package: null, status: "whitelist_changed" }));
    const seqs = async (q: Parameters<typeof log.query>[0]) => (await log.query(q)).map((r) => r.seq);
    expect(await seqs({ package: "Requests" })).toEqual([4, 3, 1]);
    expect(await seqs({ skillId: "web" })).toEqual([4, 2, 1]);
    expect(await seqs({ agentId: "main" })).toEqual([3, 2, 1]);
    expect(await seqs({ status: "blocked" })).toEqual([3]);
    expect(await seqs({ package: "requests", skillId: "web", agentId: "main" })).toEqual([1]);
    expect(await seqs({ package: "requests", status: "whitelist_changed" })).toEqual([]);
    expect(await seqs({ package: "requests", limit: 2 })).toEqual([4, 3]);
  });

  it("keeps npm names as npm spells them, and filters by ecosystem", async () => {
    const log = await openLog();
    await log.append(entry({ package: "lodash.merge", ecosystem: "npm" }));
    await log.append(entry({ package: "Lodash_Merge" }));
    await log.append(entry({ package: "@acme/widget", ecosystem: "npm" }));
    await log.append(entry({ package: "requests", ecosystem: "npm" }));
    await log.append(entry({ package: "requests" }));
    const records = await log.query();
    expect(records.map((r) => [r.package, r.ecosystem])).toEqual([
      ["requests", null],
      ["requests", "npm"],
      ["@acme/widget", "npm"],
      ["lodash-merge", null],
      ["lodash.merge", "npm"],
    ]);
    const seqs = async (q: Parameters<typeof log.query>[0]) => (await log.query(q)).map((r) => r.seq);
    // npm's lodash.merge and PyPI's lodash-merge are different packages.
    expect(await seqs({ package: "lodash.merge", ecosystem: "npm" })).toEqual([1]);
    expect(await seqs({ package: "lodash-merge", ecosystem: "npm" })).toEqual([]);
    expect(await seqs({ package: "Lodash.Merge", ecosystem: "PyPI" })).toEqual([2]);
    expect(await seqs({ package: "lodash.merge" })).toEqual([2, 1]);
    expect(await seqs({ package: "requests" })).toEqual([5, 4]);
    expect(await seqs({ package: "requests", ecosystem: "npm" })).toEqual([4]);
    expect(await seqs({ ecosystem: "npm" })).toEqual([4, 3, 1]);
    expect(await seqs({ package: "@acme/widget" })).toEqual([3]);
  });

  it("since keeps records at or after the timestamp", async () => {
    const log = await openLog({ now: steppingClock() });
    await appendMany(log, 5);
    expect((await log.query({ since: "2026-01-01T00:00:03.000Z" })).map((r) => r.seq)).toEqual([5, 4]);
    expect((await log.query({ since: "2026-01-01T01:00:00+01:00" })).map((r) => r.seq)).toEqual([5, 4, 3, 2, 1]);
    expect(await log.query({ since: "2027-01-01T00:00:00Z" })).toEqual([]);
  });

  it("refuses a since that is not a timestamp", async () => {
    const log = await openLog();
    await expect(log.query({ since: "yesterday" })).rejects.toSatisfy(
      (e) => isPackageGuardError(e) && e.code === "CONFIG_INVALID",
    );
  });

  it("skips lines that do not parse", async () => {
    const log = await openLog();
    await log.append(entry());
    const { appendFile } = await import("node:fs/promises");
    await appendFile(log.file, 'not json\n{"seq":"x"}\n');
    await log.append(entry());
    expect((await log.query()).map((r) => r.seq)).toEqual([2, 1]);
  });

  it("returns nothing from an empty log", async () => {
    const log = await openLog();
    expect(await log.query()).toEqual([]);
    expect(await log.verify()).toEqual({ ok: true, records: 0, files: 1 });
  });
});
