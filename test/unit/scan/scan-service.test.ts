import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PackageGuardError } from "../../../src/errors.js";
import { ScanCache } from "../../../src/scan/cache.js";
import { VulnerabilityScanService } from "../../../src/scan/scan-service.js";
import { pinKey, type Finding, type ScanPin, type Scanner } from "../../../src/scan/types.js";

const vuln = (pin: ScanPin, id: string): Finding => ({
  id,
  aliases: [`CVE-${id}`],
  ecosystem: "PyPI",
  package: pin.name,
  version: pin.version,
  fixedVersions: ["9.9"],
});

/** Reports one finding for every pin named "bad", and records what it was asked. */
class FakeScanner implements Scanner {
  readonly id = "fake";
  calls: ScanPin[][] = [];
  /** The advisory data's version: a new version must never be answered from results of the old one. */
  version = "v1";
  constructor(private readonly drop: string[] = []) {}
  async source() {
    return { id: "fake-data", version: this.version };
  }
  async probe() {
    return { ok: true, backend: "fake" };
  }
  async scan(pins: ScanPin[]): Promise<Map<string, Finding[]>> {
    this.calls.push(pins);
    return new Map(
      pins
        .filter((p) => !this.drop.includes(p.name))
        .map((p) => [pinKey(p), p.name === "bad" ? [vuln(p, "PYSEC-1")] : []]),
    );
  }
}

const healthy = {
  id: "fake",
  source: async () => ({ id: "fake-data", version: "v1" }),
  probe: async () => ({ ok: true, backend: "fake" }),
};

describe("VulnerabilityScanService", () => {
  let dir: string;
  const now = () => new Date("2026-03-01T00:00:00Z");
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "scan-service-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const open = (ttlHours = 24) => ScanCache.open({ file: join(dir, "cache.json"), ttlHours, now });

  it("sends only the misses, in one call, and answers the rest from the cache", async () => {
    const scanner = new FakeScanner();
    const service = new VulnerabilityScanService({ scanner, cache: await open(), ignore: [], now });
    const first = await service.scan([
      { ecosystem: "PyPI", name: "bad", version: "1" },
      { ecosystem: "PyPI", name: "good", version: "1" },
    ]);
    expect(first).toMatchObject({ fromCache: 0, scanned: 2, scannerId: "fake", ignored: [] });
    expect(first.findings.map((f) => f.id)).toEqual(["PYSEC-1"]);
    const second = await service.scan([
      { ecosystem: "PyPI", name: "bad", version: "1" },
      { ecosystem: "PyPI", name: "good", version: "1" },
      { ecosystem: "PyPI", name: "new", version: "2" },
    ]);
    expect(second).toMatchObject({ fromCache: 2, scanned: 1 });
    expect(second.findings.map((f) => f.package)).toEqual(["bad"]);
    expect(scanner.calls).toEqual([
      [
        { ecosystem: "PyPI", name: "bad", version: "1" },
        { ecosystem: "PyPI", name: "good", version: "1" },
      ],
      [{ ecosystem: "PyPI", name: "new", version: "2" }],
    ]);
  });

  it("does not call the scanner when everything is cached, also after a restart", async () => {
    const scanner = new FakeScanner();
    await new VulnerabilityScanService({ scanner, cache: await open(), ignore: [], now }).scan([
      { ecosystem: "PyPI", name: "good", version: "1" },
    ]);
    const restarted = new VulnerabilityScanService({ scanner, cache: await open(), ignore: [], now });
    expect(
      await restarted.scan([
        { ecosystem: "PyPI", name: "good", version: "1" },
        { ecosystem: "PyPI", name: "good", version: "1" },
      ]),
    ).toMatchObject({ findings: [], fromCache: 1, scanned: 0 });
    expect(scanner.calls).toHaveLength(1);
  });

  it("applies ignore rules to cached and fresh findings alike", async () => {
    const rule = { id: "cve-pysec-1", reason: "not reachable", expires: "2026-12-31" };
    const cache = await open();
    await new VulnerabilityScanService({ scanner: new FakeScanner(), cache, ignore: [], now }).scan([
      { ecosystem: "PyPI", name: "bad", version: "1" },
    ]);
    const service = new VulnerabilityScanService({ scanner: new FakeScanner(), cache, ignore: [rule], now });
    const out = await service.scan([
      { ecosystem: "PyPI", name: "bad", version: "1" },
      { ecosystem: "PyPI", name: "bad", version: "2" },
    ]);
    expect(out.findings).toEqual([]);
    expect(out.ignored.map((i) => [i.finding.version, i.rule.reason])).toEqual([
      ["1", "not reachable"],
      ["2", "not reachable"],
    ]);
  });

  it("fails closed when the scanner leaves a pin unanswered, and caches nothing for it", async () => {
    const cache = await open();
    const service = new VulnerabilityScanService({ scanner: new FakeScanner(["lost"]), cache, ignore: [], now });
    await expect(service.scan([{ ecosystem: "PyPI", name: "lost", version: "1" }])).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
    });
    expect(cache.get("fake|fake-data|v1", { ecosystem: "PyPI", name: "lost", version: "1" })).toBeUndefined();
  });

  it("passes scanner errors through (any other error becomes SCANNER_UNAVAILABLE) and caches nothing", async () => {
    const cache = await open();
    const ours: Scanner = {
      ...healthy,
      scan: () => Promise.reject(new PackageGuardError("SCANNER_UNAVAILABLE", "down")),
    };
    await expect(
      new VulnerabilityScanService({ scanner: ours, cache, ignore: [], now }).scan([
        { ecosystem: "PyPI", name: "good", version: "1" },
      ]),
    ).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE", message: "down" });
    const buggy: Scanner = { ...healthy, scan: () => Promise.reject(new TypeError("x is undefined")) };
    await expect(
      new VulnerabilityScanService({ scanner: buggy, cache, ignore: [], now }).scan([
        { ecosystem: "PyPI", name: "good", version: "1" },
      ]),
    ).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
      message: expect.stringContaining("x is undefined"),
    });
    expect(cache.get("fake|fake-data|v1", { ecosystem: "PyPI", name: "good", version: "1" })).toBeUndefined();
  });

  it("scans every time when caching is off (ttlHours 0)", async () => {
    const scanner = new FakeScanner();
    const service = new VulnerabilityScanService({ scanner, cache: await open(0), ignore: [], now });
    await service.scan([{ ecosystem: "PyPI", name: "good", version: "1" }]);
    expect(await service.scan([{ ecosystem: "PyPI", name: "good", version: "1" }])).toMatchObject({
      fromCache: 0,
      scanned: 1,
    });
    expect(scanner.calls).toHaveLength(2);
  });

  it("still returns results when the cache file cannot be written", async () => {
    // A regular file where the cache's directory should be: every write fails with ENOTDIR.
    await writeFile(join(dir, "blocker"), "");
    const cache = await ScanCache.open({ file: join(dir, "blocker", "cache.json"), ttlHours: 24, now });
    const out = await new VulnerabilityScanService({ scanner: new FakeScanner(), cache, ignore: [], now }).scan([
      { ecosystem: "PyPI", name: "bad", version: "1" },
    ]);
    expect(out.findings).toHaveLength(1);
  });
});
