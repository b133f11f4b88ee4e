import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ScanCache } from "../../../src/scan/cache.js";
import { OsvDbScanner } from "../../../src/scan/osv-db.js";
import { VulnerabilityScanService } from "../../../src/scan/scan-service.js";
import type { ScanPin } from "../../../src/scan/types.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";

const FIXTURE = join(REPO_ROOT, "test", "fixtures", "pypa-advisories");
const CURRENT: ScanPin = { ecosystem: "PyPI", name: "requests", version: "2.32.3" };
const NEW_ADVISORY =
  "id: PYSEC-2099-5\naffected:\n- package: {name: requests, ecosystem: PyPI}\n" +
  "  ranges: [{type: ECOSYSTEM, events: [{introduced: '0'}, {fixed: '2.99'}]}]\n";

describe("cached clean results never hide new advisories (issue 13.5)", () => {
  let work: string;
  let clock: number;
  const now = () => new Date(clock);
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), "scan-fresh-"));
    clock = Date.parse("2030-01-01T00:00:00Z");
  });
  afterEach(() => rm(work, { recursive: true, force: true }));
  const service = async (dir: string, cache: ScanCache) =>
    new VulnerabilityScanService({ scanner: new OsvDbScanner(dir, { now }), cache, ignore: [], now });

  it("an advisory added to the directory after a clean scan is found by the next scan, cache or not", async () => {
    const db = join(work, "db");
    await cp(FIXTURE, db, { recursive: true });
    const cache = await ScanCache.open({ file: join(work, "cache.json"), ttlHours: 24, now });
    const scans = await service(db, cache);
    expect((await scans.scan([CURRENT])).findings).toEqual([]);
    expect((await scans.scan([CURRENT])).fromCache).toBe(1);
    await writeFile(join(db, "vulns", "requests", "PYSEC-2099-5.yaml"), NEW_ADVISORY);
    clock += 2_000;
    const after = await scans.scan([CURRENT]);
    expect(after.fromCache).toBe(0);
    expect(after.findings.map((f) => f.id)).toEqual(["PYSEC-2099-5"]);
    // Also after a restart, through the cache file.
    const reopened = await service(db, await ScanCache.open({ file: join(work, "cache.json"), ttlHours: 24, now }));
    expect((await reopened.scan([CURRENT])).findings.map((f) => f.id)).toEqual(["PYSEC-2099-5"]);
  });

  it("a result cached from one advisory directory is not reused after scan.osvDbDir changes", async () => {
    const first = join(work, "first");
    const second = join(work, "second");
    await cp(FIXTURE, first, { recursive: true });
    await cp(FIXTURE, second, { recursive: true });
    await writeFile(join(second, "vulns", "requests", "PYSEC-2099-5.yaml"), NEW_ADVISORY);
    const cache = await ScanCache.open({ file: join(work, "cache.json"), ttlHours: 24, now });
    expect((await (await service(first, cache)).scan([CURRENT])).findings).toEqual([]);
    const other = await (await service(second, cache)).scan([CURRENT]);
    expect(other).toMatchObject({ fromCache: 0, scanned: 1 });
    expect(other.findings.map((f) => f.id)).toEqual(["PYSEC-2099-5"]);
  });

  it("unusable data fails the scan even when every pin is cached", async () => {
    const db = join(work, "db");
    await cp(FIXTURE, db, { recursive: true });
    const cache = await ScanCache.open({ file: join(work, "cache.json"), ttlHours: 24, now });
    await (await service(db, cache)).scan([CURRENT]);
    await rm(db, { recursive: true });
    clock += 2_000;
    await expect((await service(db, cache)).scan([CURRENT])).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
  });

  it("every outcome names the data it came from", async () => {
    const db = join(work, "db");
    await cp(FIXTURE, db, { recursive: true });
    const cache = await ScanCache.open({ file: join(work, "cache.json"), ttlHours: 24, now });
    const out = await (await service(db, cache)).scan([CURRENT]);
    expect(out.source).toMatchObject({ id: `dir:${db}`, advisories: 40, version: expect.any(String) });
    expect(out.source.ageDays).toBeGreaterThanOrEqual(0);
  });
});

describe("malware findings", () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), "scan-malware-"));
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  it("are reported apart and no ignore rule applies to them, by their MAL- id or any alias", async () => {
    await writeFile(
      join(work, "MAL-2099-7.json"),
      JSON.stringify({
        id: "MAL-2099-7",
        aliases: ["GHSA-mmmm-aaaa-llll"],
        summary: "Malicious code in evil-pkg (PyPI)",
        affected: [{ package: { name: "evil-pkg", ecosystem: "PyPI" }, versions: ["1.0"] }],
      }),
    );
    await writeFile(
      join(work, "PYSEC-2099-8.json"),
      JSON.stringify({
        id: "PYSEC-2099-8",
        affected: [{ package: { name: "evil-pkg", ecosystem: "PyPI" }, versions: ["1.0"] }],
      }),
    );
    const cache = await ScanCache.open({ file: join(work, "c", "cache.json"), ttlHours: 0 });
    const rules = ["MAL-2099-7", "GHSA-mmmm-aaaa-llll", "PYSEC-2099-8"].map((id) => ({
      id,
      reason: "accepted",
      expires: "2999-12-31",
    }));
    const out = await new VulnerabilityScanService({ scanner: new OsvDbScanner(work), cache, ignore: rules }).scan([
      { ecosystem: "PyPI", name: "evil-pkg", version: "1.0" },
    ]);
    expect(out.malware.map((f) => f.id)).toEqual(["MAL-2099-7"]);
    expect(out.findings.map((f) => f.id)).toEqual(["MAL-2099-7"]);
    expect(out.ignored.map((i) => i.finding.id)).toEqual(["PYSEC-2099-8"]);
  });
});
