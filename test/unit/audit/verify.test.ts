import { appendFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { hashRecord } from "../../../src/audit/record.js";
import { appendMany, openLog, readLines, writeLines } from "./helpers.js";

const fiveRecordLog = async () => {
  const log = await openLog();
  await appendMany(log, 5, (i) => ({ package: `pkg-${i}`, details: { i } }));
  return { log, lines: await readLines(log.file) };
};

describe("AuditLog.verify", () => {
  it("passes on an untouched log", async () => {
    const { log } = await fiveRecordLog();
    expect(await log.verify()).toEqual({ ok: true, records: 5, files: 1 });
  });

  it("detects a field edited in place", async () => {
    const { log, lines } = await fiveRecordLog();
    lines[2] = lines[2]!.replace('"pkg-2"', '"pkg-X"');
    await writeLines(log.file, lines);
    expect(await log.verify()).toEqual({
      ok: false,
      records: 2,
      files: 1,
      firstBadLine: { file: log.file, line: 3, problem: "hash mismatch" },
    });
  });

  it("detects an edit whose hash was recomputed, at the next line", async () => {
    const { log, lines } = await fiveRecordLog();
    const edited = { ...JSON.parse(lines[2]!), status: "completed", package: "evil" };
    edited.hash = hashRecord(edited);
    lines[2] = JSON.stringify(edited);
    await writeLines(log.file, lines);
    expect((await log.verify()).firstBadLine).toEqual({ file: log.file, line: 4, problem: "prev link broken" });
  });

  it("detects a deleted line", async () => {
    const { log, lines } = await fiveRecordLog();
    lines.splice(1, 1);
    await writeLines(log.file, lines);
    expect((await log.verify()).firstBadLine).toEqual({ file: log.file, line: 2, problem: "seq gap" });
  });

  it("detects reordered lines", async () => {
    const { log, lines } = await fiveRecordLog();
    [lines[2], lines[3]] = [lines[3]!, lines[2]!];
    await writeLines(log.file, lines);
    expect((await log.verify()).firstBadLine).toEqual({ file: log.file, line: 3, problem: "seq gap" });
  });

  it("detects a duplicated line", async () => {
    const { log, lines } = await fiveRecordLog();
    lines.splice(2, 0, lines[1]!);
    await writeLines(log.file, lines);
    expect((await log.verify()).firstBadLine).toEqual({ file: log.file, line: 3, problem: "seq out of order" });
  });

  it("detects a line that is not JSON, or JSON that is not a record", async () => {
    const { log, lines } = await fiveRecordLog();
    await writeLines(log.file, [...lines.slice(0, 4), "garbage", lines[4]!]);
    expect((await log.verify()).firstBadLine).toEqual({ file: log.file, line: 5, problem: "not JSON" });
    await writeLines(log.file, [lines[0]!, "[1,2]", ...lines.slice(1)]);
    expect((await log.verify()).firstBadLine).toEqual({ file: log.file, line: 2, problem: "malformed record" });
  });

  it("detects a forged first record", async () => {
    const { log, lines } = await fiveRecordLog();
    const first = { ...JSON.parse(lines[0]!), prev: "f".repeat(64) };
    first.hash = hashRecord(first);
    await writeLines(log.file, [JSON.stringify(first), ...lines.slice(1)]);
    expect((await log.verify()).firstBadLine).toEqual({ file: log.file, line: 1, problem: "prev link broken" });
  });

  it("reports a torn last line until the next append recovers it", async () => {
    const { log } = await fiveRecordLog();
    await appendFile(log.file, '{"id":"half');
    expect((await log.verify()).firstBadLine).toEqual({ file: log.file, line: 6, problem: "torn last line" });
  });

  it("passes on an empty file", async () => {
    const log = await openLog();
    await writeFile(log.file, "");
    expect(await log.verify()).toEqual({ ok: true, records: 0, files: 1 });
  });
});
