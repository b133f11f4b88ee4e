import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ScanCache } from "../../../src/scan/cache.js";
import type { Finding } from "../../../src/scan/types.js";

const PIN = { ecosystem: "PyPI" as const, name: "pyyaml", version: "5.3" };
const FINDING: Finding = {
  id: "PYSEC-2021-142",
  aliases: ["CVE-2020-14343"],
  ecosystem: "PyPI" as const,
  package: "pyyaml",
  version: "5.3",
  fixedVersions: ["5.4"],
  summary: "bad",
};
const HOUR = 3_600_000;

describe("ScanCache", () => {
  let dir: string;
  let file: string;
  let clock: number;
  const now = () => new Date(clock);
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "scan-cache-"));
    file = join(dir, "state", "scan-cache.json");
    clock = Date.parse("2026-03-01T12:00:00Z");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("answers hits per scanner and pin, including clean results", async () => {
    const cache = await ScanCache.open({ file, ttlHours: 24, now });
    cache.set("osv-db", PIN, [FINDING]);
    cache.set("osv-db", { ecosystem: "PyPI" as const, name: "idna", version: "3.7" }, []);
    expect(cache.get("osv-db", PIN)).toEqual([FINDING]);
    expect(cache.get("osv-db", { ecosystem: "PyPI" as const, name: "idna", version: "3.7" })).toEqual([]);
    expect(cache.get("pip-audit:pypi", PIN)).toBeUndefined();
    expect(cache.get("osv-db", { ecosystem: "PyPI" as const, name: "pyyaml", version: "5.4" })).toBeUndefined();
  });

  it("hands out copies, so a caller cannot change what is cached", async () => {
    const cache = await ScanCache.open({ file, ttlHours: 24, now });
    cache.set("osv-db", PIN, [FINDING]);
    cache.get("osv-db", PIN)?.[0]?.aliases.push("tampered");
    expect(cache.get("osv-db", PIN)).toEqual([FINDING]);
  });

  it("expires an entry once ttlHours have passed", async () => {
    const cache = await ScanCache.open({ file, ttlHours: 24, now });
    cache.set("osv-db", PIN, [FINDING]);
    clock += 24 * HOUR - 1;
    expect(cache.get("osv-db", PIN)).toEqual([FINDING]);
    clock += 1;
    expect(cache.get("osv-db", PIN)).toBeUndefined();
  });

  it("does not trust an entry stamped in the future", async () => {
    const cache = await ScanCache.open({ file, ttlHours: 24, now });
    cache.set("osv-db", PIN, [FINDING]);
    clock -= HOUR;
    expect(cache.get("osv-db", PIN)).toBeUndefined();
  });

  it("survives a restart through the JSON file, and still expires by the original scan time", async () => {
    const first = await ScanCache.open({ file, ttlHours: 24, now });
    first.set("osv-db", PIN, [FINDING]);
    await first.flush();
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({
      version: 2,
      entries: [{ key: "osv-db PyPI:pyyaml@5.3", scannedAt: "2026-03-01T12:00:00.000Z" }],
    });
    clock += 23 * HOUR;
    const second = await ScanCache.open({ file, ttlHours: 24, now });
    expect(second.get("osv-db", PIN)).toEqual([FINDING]);
    clock += HOUR;
    const third = await ScanCache.open({ file, ttlHours: 24, now });
    expect(third.get("osv-db", PIN)).toBeUndefined();
  });

  it("starts empty from a corrupt or foreign file, and skips malformed entries", async () => {
    await writeFile(file.replace("/state/scan-cache.json", "/bad.json"), "{not json");
    expect(
      (await ScanCache.open({ file: join(dir, "bad.json"), ttlHours: 24, now })).get("osv-db", PIN),
    ).toBeUndefined();
    await writeFile(join(dir, "other.json"), JSON.stringify({ version: 99, entries: [] }));
    expect(
      (await ScanCache.open({ file: join(dir, "other.json"), ttlHours: 24, now })).get("osv-db", PIN),
    ).toBeUndefined();
    const good = { key: "osv-db PyPI:pyyaml@5.3", scannedAt: new Date(clock).toISOString(), findings: [FINDING] };
    const bad = { key: "osv-db PyPI:idna@3.7", scannedAt: "yesterday", findings: [{ id: 5 }] };
    await writeFile(join(dir, "mixed.json"), JSON.stringify({ version: 2, entries: [bad, good] }));
    const mixed = await ScanCache.open({ file: join(dir, "mixed.json"), ttlHours: 24, now });
    expect(mixed.get("osv-db", PIN)).toEqual([FINDING]);
    expect(mixed.get("osv-db", { ecosystem: "PyPI" as const, name: "idna", version: "3.7" })).toBeUndefined();
  });

  it("drops entries of the previous format (findings without an ecosystem)", async () => {
    const old = { ...FINDING } as Partial<Finding>;
    delete old.ecosystem;
    const entry = { key: "osv-db PyPI:pyyaml@5.3", scannedAt: new Date(clock).toISOString(), findings: [old] };
    await writeFile(join(dir, "v2-shape.json"), JSON.stringify({ version: 2, entries: [entry] }));
    expect((await ScanCache.open({ file: join(dir, "v2-shape.json"), ttlHours: 24, now })).get("osv-db", PIN)).toBe(
      undefined,
    );
    await writeFile(join(dir, "v1.json"), JSON.stringify({ version: 1, entries: [{ ...entry, findings: [FINDING] }] }));
    expect((await ScanCache.open({ file: join(dir, "v1.json"), ttlHours: 24, now })).get("osv-db", PIN)).toBe(
      undefined,
    );
  });

  it("is a no-op with ttlHours 0: nothing kept, nothing written", async () => {
    const cache = await ScanCache.open({ file, ttlHours: 0, now });
    cache.set("osv-db", PIN, [FINDING]);
    expect(cache.get("osv-db", PIN)).toBeUndefined();
    await cache.flush();
    await expect(readFile(file, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("keeps at most maxEntries, dropping the least recently used (also across a restart)", async () => {
    const cache = await ScanCache.open({ file, ttlHours: 24, now, maxEntries: 2 });
    cache.set("osv-db", { ecosystem: "PyPI" as const, name: "a", version: "1" }, []);
    cache.set("osv-db", { ecosystem: "PyPI" as const, name: "b", version: "1" }, []);
    cache.get("osv-db", { ecosystem: "PyPI" as const, name: "a", version: "1" });
    cache.set("osv-db", { ecosystem: "PyPI" as const, name: "c", version: "1" }, []);
    expect(cache.get("osv-db", { ecosystem: "PyPI" as const, name: "b", version: "1" })).toBeUndefined();
    await cache.flush();
    const reopened = await ScanCache.open({ file, ttlHours: 24, now, maxEntries: 2 });
    reopened.get("osv-db", { ecosystem: "PyPI" as const, name: "a", version: "1" });
    reopened.set("osv-db", { ecosystem: "PyPI" as const, name: "d", version: "1" }, []);
    expect(reopened.get("osv-db", { ecosystem: "PyPI" as const, name: "a", version: "1" })).toEqual([]);
    expect(reopened.get("osv-db", { ecosystem: "PyPI" as const, name: "c", version: "1" })).toBeUndefined();
  });

  it("lets concurrent flushes finish without interleaving", async () => {
    const cache = await ScanCache.open({ file, ttlHours: 24, now });
    const flushes = [];
    for (let i = 0; i < 5; i++) {
      cache.set("osv-db", { ecosystem: "PyPI" as const, name: `p${i}`, version: "1" }, []);
      flushes.push(cache.flush());
    }
    await Promise.all(flushes);
    expect(JSON.parse(await readFile(file, "utf8")).entries).toHaveLength(5);
  });
});
