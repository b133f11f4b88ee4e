import { appendFile, readFile, stat, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { appendMany, entry, openLog, readLines } from "./helpers.js";

describe("torn last line", () => {
  it("is moved to <file>.corrupt and accounted for by a recovered record before the caller's", async () => {
    const log = await openLog();
    await appendMany(log, 3);
    const sizeBefore = (await stat(log.file)).size;
    const torn = '{"id":"7f","ts":"2026-01-01T00:00:00.000Z","seq":4,"pr';
    await appendFile(log.file, torn);

    const record = await log.append(entry({ package: "numpy" }));

    expect(record).toMatchObject({ seq: 5, package: "numpy" });
    const lines = (await readLines(log.file)).map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[3]).toMatchObject({
      seq: 4,
      source: "system",
      status: "recovered",
      details: { bytes: torn.length, offset: sizeBefore, corruptFile: `${log.file}.corrupt` },
    });
    expect(lines[3].reason).toContain(`${torn.length} bytes`);
    expect(lines[4]).toEqual(record);
    expect(await log.verify()).toEqual({ ok: true, records: 5, files: 1 });

    const corrupt = (await readLines(`${log.file}.corrupt`)).map((l) => JSON.parse(l));
    expect(corrupt).toEqual([
      {
        ts: record.ts,
        file: log.file,
        offset: sizeBefore,
        bytes: torn.length,
        text: torn,
        base64: Buffer.from(torn).toString("base64"),
      },
    ]);
    expect((await stat(`${log.file}.corrupt`)).mode & 0o777).toBe(0o600);
  });

  it("recovers a file that holds nothing but a torn line", async () => {
    const log = await openLog();
    await writeFile(log.file, Buffer.from([0x7b, 0x22, 0xc3])); // ends mid UTF-8 sequence
    const record = await log.append(entry());
    expect(record.seq).toBe(2);
    const lines = (await readLines(log.file)).map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ seq: 1, prev: null, status: "recovered", details: { bytes: 3, offset: 0 } });
    expect(await log.verify()).toEqual({ ok: true, records: 2, files: 1 });
    const corrupt = JSON.parse(await readFile(`${log.file}.corrupt`, "utf8"));
    expect(Buffer.from(corrupt.base64, "base64")).toEqual(Buffer.from([0x7b, 0x22, 0xc3]));
  });

  it("keeps appending after garbage complete lines, chaining from the last good record", async () => {
    const log = await openLog();
    await appendMany(log, 2);
    await appendFile(log.file, "junk\n");
    const record = await log.append(entry());
    expect(record.seq).toBe(3);
    expect((await log.verify()).firstBadLine).toMatchObject({ line: 3, problem: "not JSON" });
  });
});
