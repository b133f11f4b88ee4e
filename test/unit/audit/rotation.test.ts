import { readdir, rm, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { appendMany, openLog, readLines } from "./helpers.js";

const ROTATE = 4096;

describe("rotation", () => {
  it("moves a full file to .1 and continues seq and prev in the new one", async () => {
    const log = await openLog({ rotateBytes: ROTATE });
    await appendMany(log, 20, (i) => ({ details: { i } }));
    const rotated = (await readLines(`${log.file}.1`)).map((l) => JSON.parse(l));
    const live = (await readLines(log.file)).map((l) => JSON.parse(l));
    expect(live[0].seq).toBe(rotated.at(-1).seq + 1);
    expect(live[0].prev).toBe(rotated.at(-1).hash);
    for (const f of [log.file, `${log.file}.1`]) expect((await stat(f)).size).toBeLessThanOrEqual(ROTATE);
    const v = await log.verify();
    expect(v).toMatchObject({ ok: true, records: 20 });
    expect(v.files).toBeGreaterThan(1);
  });

  it("query spans the live and rotated files, newest first", async () => {
    const log = await openLog({ rotateBytes: ROTATE });
    await appendMany(log, 30, (i) => ({ package: i % 2 === 0 ? "even" : "odd" }));
    expect((await log.query({ limit: 500 })).map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i));
    expect((await log.query({ package: "even", limit: 500 })).map((r) => r.seq)).toEqual(
      Array.from({ length: 15 }, (_, i) => 29 - 2 * i),
    );
  });

  it("archives files past the fifth instead of deleting them: every record is kept and verifies", async () => {
    const log = await openLog({ rotateBytes: 1024 });
    await appendMany(log, 40);
    const names = (await readdir(dirname(log.file))).filter((n) => n.startsWith(basename(log.file))).toSorted();
    expect(names).toEqual([
      "audit.jsonl",
      "audit.jsonl.1",
      "audit.jsonl.2",
      "audit.jsonl.3",
      "audit.jsonl.4",
      "audit.jsonl.5",
      "audit.jsonl.archive",
      "audit.jsonl.head",
    ]);
    const v = await log.verify();
    expect(v).toMatchObject({ ok: true, records: 40 });
    expect(v.files).toBeGreaterThan(6);
    expect((await log.query({ limit: 500 })).map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => 40 - i));
  });

  it("a missing rotated file shows as a seq gap", async () => {
    const log = await openLog({ rotateBytes: 1024 });
    await appendMany(log, 12);
    await rm(`${log.file}.2`);
    expect((await log.verify()).firstBadLine).toMatchObject({ file: `${log.file}.1`, line: 1, problem: "seq gap" });
  });

  it("continues the chain from .1 when the live file is empty (a crash right after rotating)", async () => {
    const log = await openLog();
    await appendMany(log, 5);
    const { rename, writeFile } = await import("node:fs/promises");
    await rename(log.file, `${log.file}.1`);
    await writeFile(log.file, "");
    const next = await log.append({ source: "cli", status: "completed" });
    expect(next.seq).toBe(6);
    expect(await log.verify()).toEqual({ ok: true, records: 6, files: 2 });
  });
});
