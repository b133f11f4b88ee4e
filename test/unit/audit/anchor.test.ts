import { generateKeyPairSync } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { headFile, type HeadKeys } from "../../../src/audit/head.js";
import { archiveDir } from "../../../src/audit/reader.js";
import { hashRecord } from "../../../src/audit/record.js";
import { appendMany, entry, openLog, readLines, steppingClock, writeLines } from "./helpers.js";

const keys = (): HeadKeys => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicKey };
};

/** What an attacker with the public algorithm does: rewrite records and recompute every hash and link. */
const recompute = (lines: string[], edit: (r: Record<string, unknown>, i: number) => void): string[] => {
  let prev: string | null = null;
  return lines.map((line, i) => {
    const r = JSON.parse(line) as Record<string, unknown>;
    edit(r, i);
    r.prev = prev;
    r.hash = hashRecord(r);
    prev = r.hash as string;
    return JSON.stringify(r);
  });
};

describe("the chain is anchored outside the log", () => {
  it("reports lines deleted from the end (the chain itself still links)", async () => {
    const log = await openLog();
    await appendMany(log, 5);
    await writeLines(log.file, (await readLines(log.file)).slice(0, 3));
    expect(await log.verify()).toMatchObject({ ok: false, records: 3, problem: { kind: "truncated-end" } });
  });

  it("reports lines deleted from the start", async () => {
    const log = await openLog();
    await appendMany(log, 5);
    await writeLines(log.file, (await readLines(log.file)).slice(2));
    expect(await log.verify()).toMatchObject({ ok: false, problem: { kind: "missing-start" } });
  });

  it("reports the live file deleted", async () => {
    const log = await openLog({ rotateBytes: 4096 });
    await appendMany(log, 30);
    await rm(log.file);
    expect(await log.verify()).toMatchObject({ ok: false, problem: { kind: "truncated-end" } });
  });

  it("reports the oldest retained file deleted (archived or rotated)", async () => {
    const log = await openLog({ rotateBytes: 1024 });
    await appendMany(log, 40);
    const [oldest] = (await readdir(archiveDir(log.file))).toSorted();
    await rm(`${archiveDir(log.file)}/${oldest}`);
    expect(await log.verify()).toMatchObject({ ok: false, problem: { kind: "missing-start" } });
  });

  it("reports a chain recomputed with the public hash when the head was left alone", async () => {
    const log = await openLog();
    await appendMany(log, 5);
    await writeLines(
      log.file,
      recompute(await readLines(log.file), (r, i) => {
        if (i === 1) r.status = "blocked";
      }),
    );
    expect(await log.verify()).toMatchObject({ ok: false, problem: { kind: "head-mismatch" } });
  });

  it("with a signed head, reports a chain recomputed along with its (unsigned) head", async () => {
    const log = await openLog({ keys: keys() });
    await appendMany(log, 5);
    const lines = recompute(await readLines(log.file), (r, i) => {
      if (i === 1) r.status = "blocked";
    });
    await writeLines(log.file, lines);
    const last = JSON.parse(lines.at(-1)!) as { seq: number; hash: string; ts: string };
    const forged = { ...JSON.parse(await readFile(headFile(log.file), "utf8")), hash: last.hash };
    await writeFile(headFile(log.file), JSON.stringify(forged));
    expect(await log.verify()).toMatchObject({ ok: false, problem: { kind: "head-signature" } });
  });

  it("a signed, untouched log verifies; the head names the last seq and hash", async () => {
    const log = await openLog({ keys: keys() });
    await appendMany(log, 3);
    const last = await log.append(entry());
    const head = JSON.parse(await readFile(headFile(log.file), "utf8"));
    expect(head).toMatchObject({ version: 1, seq: 4, hash: last.hash });
    expect(typeof head.signature).toBe("string");
    expect(await log.verify()).toEqual({ ok: true, records: 4, files: 1 });
  });

  it("reports a deleted head file, and the next append says so in a record instead of hiding it", async () => {
    const log = await openLog();
    await appendMany(log, 3);
    await rm(headFile(log.file));
    expect(await log.verify()).toMatchObject({ ok: false, problem: { kind: "head-missing" } });
    await log.append(entry());
    const [, anchored] = await log.query({ limit: 2 });
    expect(anchored).toMatchObject({
      seq: 4,
      source: "system",
      status: "recovered",
      details: { anchoredAt: { seq: 3 } },
    });
    expect(await log.verify()).toMatchObject({ ok: true, records: 5 });
  });

  it("after the end was cut, the next append chains on from the head so the gap stays visible", async () => {
    const log = await openLog();
    await appendMany(log, 5);
    await writeLines(log.file, (await readLines(log.file)).slice(0, 3));
    const next = await log.append(entry());
    expect(next.seq).toBe(7);
    const [, gap] = await log.query({ limit: 2 });
    expect(gap).toMatchObject({ seq: 6, status: "recovered", details: { logEndedAt: 3, headSeq: 5 } });
    expect((await log.verify()).firstBadLine).toMatchObject({ line: 4, problem: "seq gap" });
  });

  it("the head is handed to onHead at every append (the gateway writes it to its log)", async () => {
    const heads: number[] = [];
    const log = await openLog({ onHead: (h) => heads.push(h.seq) });
    await appendMany(log, 3);
    expect(heads).toEqual([1, 2, 3]);
  });
});

describe("pruning is an operator's act, and is itself a record", () => {
  it("removes only archived files older than the date, records it first, and the rest still verifies", async () => {
    const clock = steppingClock();
    const log = await openLog({ rotateBytes: 1024, now: clock });
    await appendMany(log, 40);
    const archived = (await readdir(archiveDir(log.file))).toSorted();
    expect(archived.length).toBeGreaterThan(0);
    const result = await log.prune(new Date("2030-01-01T00:00:00Z"), { source: "cli", client: "cli" });
    expect(result.files).toEqual(archived);
    // (the prune record's own append may archive a newer file meanwhile)
    expect((await readdir(archiveDir(log.file))).filter((n) => archived.includes(n))).toEqual([]);
    const [record] = await log.query({ limit: 1 });
    expect(record).toMatchObject({
      status: "pruned",
      source: "cli",
      details: { throughSeq: result.throughSeq, files: archived },
    });
    expect(await log.verify()).toMatchObject({ ok: true });
    // Without the prune record, the same deletion is what verify reports as a missing start.
    expect(result.throughSeq).toBeGreaterThan(0);
  });

  it("prunes nothing newer than the date", async () => {
    const log = await openLog({ rotateBytes: 1024, now: steppingClock() });
    await appendMany(log, 40);
    const result = await log.prune(new Date("2025-01-01T00:00:00Z"), { source: "cli" });
    expect(result).toMatchObject({ pruned: 0, files: [] });
    expect((await log.query({ limit: 1 }))[0]!.status).toBe("completed");
  });
});

describe("flooding", () => {
  it("junk records never push a real one out: with a tiny rotateBytes every record stays queryable", async () => {
    const log = await openLog({ rotateBytes: 4096 });
    const real = await log.append(entry({ package: "pandas", status: "completed", skillId: "data" }));
    await appendMany(log, 200, (i) => ({
      source: "tool",
      status: "blocked",
      requested: `junk-${i}-${"x".repeat(5000)}`,
    }));
    expect(await log.query({ package: "pandas", limit: 5 })).toEqual([real]);
    expect(await log.verify()).toMatchObject({ ok: true, records: 201 });
  });
});
