import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { updateAdvisoryDb, type UpdateRequest } from "../../../src/scan/db-update.js";
import { ManagedSource, readCurrent } from "../../../src/scan/managed-db.js";
import { OsvDbScanner } from "../../../src/scan/osv-db.js";
import { DEFAULT_ZIP_LIMITS, readOsvZip } from "../../../src/scan/osv-zip.js";
import { malwareRecord, osvZip, startZipServer, treeRecords, type ZipServer } from "../../helpers/advisory-zip.js";
import type { OsvRecord } from "../../helpers/osv-server.js";
import { zip } from "../../helpers/zip.js";

let records: OsvRecord[];
let server: ZipServer;
beforeAll(async () => {
  records = await treeRecords();
  server = await startZipServer({ PyPI: osvZip(records) });
});
afterAll(() => server.close());

describe("advisories update (the managed database)", () => {
  let root: string;
  let clock: number;
  const now = () => new Date(clock);
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "advisory-db-"));
    clock = Date.parse("2030-03-01T10:00:00Z");
  });
  afterEach(() => rm(root, { recursive: true, force: true }));
  const update = (over: Partial<UpdateRequest> = {}) =>
    updateAdvisoryDb({ root, ecosystem: "PyPI", mirror: server.url, timeoutMs: 10_000, now, ...over });
  const scanner = () => new OsvDbScanner(new ManagedSource(root), { now });

  it("fetches <mirror>/PyPI/all.zip, records source, date and count, and scans against it", async () => {
    const report = await update();
    expect(report).toMatchObject({
      ecosystem: "PyPI",
      source: `${server.url}/PyPI/all.zip`,
      fetchedAt: "2030-03-01T10:00:00.000Z",
      records: records.length,
      malware: 0,
      foreign: 0,
      previous: null,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(await readCurrent(root, "PyPI")).toMatchObject({ records: records.length, generation: report.generation });
    const out = await scanner().scan([
      { ecosystem: "PyPI", name: "pyyaml", version: "5.3" },
      { ecosystem: "PyPI", name: "pyyaml", version: "6.0.1" },
    ]);
    expect(out.get("PyPI:pyyaml@5.3")?.map((f) => f.id)).toEqual(["PYSEC-2020-96", "PYSEC-2021-142"]);
    expect(out.get("PyPI:pyyaml@6.0.1")).toEqual([]);
    clock += 3 * 86_400_000;
    expect(await scanner().probe()).toMatchObject({
      ok: true,
      layout: "managed",
      advisories: records.length,
      source: `${server.url}/PyPI/all.zip`,
      version: `PyPI/${report.generation}`,
      ageDays: 3,
    });
  });

  it("swaps a new generation in, keeps the previous one for scans still reading it, and drops older ones", async () => {
    const first = await update();
    clock += 1_000;
    const second = await update({ from: undefined });
    clock += 1_000;
    const third = await update();
    expect(third.previous).toMatchObject({ generation: second.generation, records: records.length });
    const generations = (await readdir(join(root, "PyPI"))).filter((n) => n.startsWith("g-")).toSorted();
    expect(generations).toEqual([second.generation, third.generation].toSorted());
    expect(generations).not.toContain(first.generation);
  });

  it("reads malware records from the zip and counts them", async () => {
    const withMalware = [...records, malwareRecord("MAL-2099-1", "evilpkg", ["1.0.0"])];
    const file = join(root, "..", `${root.split("/").at(-1)}-all.zip`);
    await writeFile(file, osvZip(withMalware));
    try {
      const report = await update({ from: file });
      expect(report).toMatchObject({ records: withMalware.length, malware: 1, source: file });
      const found = await scanner().scan([{ ecosystem: "PyPI", name: "evilpkg", version: "1.0.0" }]);
      expect(found.get("PyPI:evilpkg@1.0.0")?.map((f) => f.id)).toEqual(["MAL-2099-1"]);
    } finally {
      await rm(file, { force: true });
    }
  });

  it("refuses a foreign, truncated or damaged zip and a failed download, keeping the current one", async () => {
    const good = await update();
    // The same records, every affected package moved to npm.
    const npm = (JSON.parse(JSON.stringify(records)) as OsvRecord[]).map((r) => {
      for (const a of r.affected ?? []) a.package.ecosystem = "npm";
      return r;
    });
    const cases: [string, Buffer | number, RegExp][] = [
      ["npm", osvZip(npm), /holds no PyPI advisories/],
      ["truncated", osvZip(records.slice(0, 5)), /fewer than half of the current/],
      ["not a zip", Buffer.from("<html>captive portal</html>"), /not an OSV advisory zip/],
      ["not JSON", zip([["PYSEC-1.json", Buffer.from("{oops")]]), /cannot be read as JSON/],
      ["a path in the zip", zip([["../PYSEC-1.json", Buffer.from("{}")]]), /not an OSV advisory zip/],
      ["no id", zip([["X.json", Buffer.from(JSON.stringify({ affected: [] }))]]), /not an OSV record/],
      ["HTTP 503", 503, /answered HTTP 503/],
    ];
    for (const [label, body, message] of cases) {
      server.serve("PyPI", body);
      await expect(update(), label).rejects.toMatchObject({
        code: expect.stringMatching(/SCANNER_UNAVAILABLE/),
        message: expect.stringMatching(message),
      });
      expect((await readCurrent(root, "PyPI"))?.generation, label).toBe(good.generation);
    }
    server.serve("PyPI", osvZip(records.slice(0, 5)));
    expect(await update({ force: true })).toMatchObject({ records: 5 });
    server.serve("PyPI", osvZip(records));
  });

  it("sends a mirror's credentials as a header and records the source without them", async () => {
    const url = server.url.replace("http://", "http://reader:s3cret@");
    const report = await update({ from: `${url}/PyPI/all.zip?token=abc` });
    expect(report.source).not.toContain("s3cret");
    expect(report.source).not.toContain("abc");
    expect(server.requests.at(-1)?.authorization).toBe(`Basic ${Buffer.from("reader:s3cret").toString("base64")}`);
    expect(await readFile(join(root, "PyPI", report.generation, "manifest.json"), "utf8")).not.toContain("s3cret");
  });

  it("says how to create the database when there is none", async () => {
    await expect(scanner().scan([{ ecosystem: "PyPI", name: "pyyaml", version: "5.3" }])).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
      message: expect.stringContaining("package-guard advisories update"),
    });
  });

  it("with scan.maxAdvisoryAgeDays, an older database fails scans and names the update command", async () => {
    await update();
    clock += 8 * 86_400_000;
    const strict = new OsvDbScanner(new ManagedSource(root), { now, maxAgeDays: 7 });
    await expect(strict.scan([{ ecosystem: "PyPI", name: "pyyaml", version: "6.0.1" }])).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
      message: expect.stringMatching(/8 days old.*run package-guard advisories update/s),
    });
  });
});

describe("readOsvZip", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "osv-zip-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const read = async (data: Buffer, limits = DEFAULT_ZIP_LIMITS) => {
    await writeFile(join(dir, "a.zip"), data);
    const out: string[] = [];
    for await (const { name } of readOsvZip(join(dir, "a.zip"), "test.zip", limits)) out.push(name);
    return out;
  };

  it("yields each record in order", async () => {
    expect(await read(osvZip(records.slice(0, 3)))).toEqual(records.slice(0, 3).map((r) => `${r.id}.json`));
  });

  it("refuses an entry that inflates past the limit (a zip bomb) and too many entries", async () => {
    const big = zip([["BIG.json", Buffer.from(JSON.stringify({ id: "BIG", pad: "x".repeat(10_000) }))]]);
    await expect(read(big, { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: 1_000 })).rejects.toMatchObject({
      message: expect.stringContaining("BIG.json is"),
    });
    await expect(read(osvZip(records.slice(0, 3)), { ...DEFAULT_ZIP_LIMITS, maxEntries: 2 })).rejects.toMatchObject({
      message: expect.stringContaining("too many"),
    });
    await expect(read(osvZip(records.slice(0, 3)), { ...DEFAULT_ZIP_LIMITS, maxTotalBytes: 100 })).rejects.toThrow(
      /inflates past/,
    );
  });
});
