import { open, stat, writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { normalizeInput, sealRecord, toLine, type AuditRecord } from "../../../src/audit/record.js";
import { openLog } from "./helpers.js";

/** A valid chain written in one go: appending 5000 records one by one would only slow the test down. */
const buildChain = (n: number): string => {
  let head: AuditRecord | null = null;
  let text = "";
  for (let i = 0; i < n; i += 1) {
    head = sealRecord(
      normalizeInput({
        source: "tool",
        status: "completed",
        package: i % 50 === 0 ? "rare" : "common",
        details: { i },
      }),
      head,
      new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    );
    text += toLine(head);
  }
  return text;
};

const bytesReadDuring = async (fn: () => Promise<unknown>): Promise<number> => {
  const probe = await open(import.meta.filename, "r");
  const proto = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<unknown> };
  await probe.close();
  const spy = vi.spyOn(proto, "read");
  try {
    await fn();
    return spy.mock.calls.reduce((sum, args) => sum + (typeof args[2] === "number" ? args[2] : 0), 0);
  } finally {
    spy.mockRestore();
  }
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe("query on a large log", () => {
  it("reads only the end of the file to find the newest records", async () => {
    const log = await openLog();
    await writeFile(log.file, buildChain(5000));
    const size = (await stat(log.file)).size;
    let records: AuditRecord[] = [];
    const read = await bytesReadDuring(async () => {
      records = await log.query({ limit: 10 });
    });
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 5000 - i));
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(size / 10);
  });

  it("reads further back only as far as the filter needs", async () => {
    const log = await openLog();
    await writeFile(log.file, buildChain(5000));
    const size = (await stat(log.file)).size;
    let records: AuditRecord[] = [];
    const read = await bytesReadDuring(async () => {
      records = await log.query({ package: "rare", limit: 5 });
    });
    expect(records.map((r) => r.seq)).toEqual([4951, 4901, 4851, 4801, 4751]);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(size / 2);
    // Written behind the log's back, so without a head: the chain verifies, its end cannot be vouched for.
    expect(await log.verify()).toMatchObject({ ok: false, records: 5000, files: 1, problem: { kind: "head-missing" } });
  });

  it("appending to a large log reads only its tail", async () => {
    const log = await openLog();
    await writeFile(log.file, buildChain(5000));
    const read = await bytesReadDuring(() => log.append({ source: "cli", status: "completed" }));
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThanOrEqual(8192);
  });
});
