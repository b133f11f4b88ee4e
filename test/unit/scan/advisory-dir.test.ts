import { cp, mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OsvDbScanner } from "../../../src/scan/osv-db.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";

const FIXTURE = join(REPO_ROOT, "test", "fixtures", "pypa-advisories");
const REQUESTS = { ecosystem: "PyPI" as const, name: "requests", version: "2.25.0" };
const DAY = 86_400_000;

const record = (id: string, name: string, fixed: string, ecosystem = "PyPI") => ({
  id,
  modified: "2099-01-01T00:00:00Z",
  affected: [
    { package: { name, ecosystem }, ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed }] }] },
  ],
});

describe("an advisory directory in no known layout is SCANNER_UNAVAILABLE, never 'no advisories' (issue 13.4)", () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), "advisory-dir-"));
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  it("the folder holding the clone (one level above the database)", async () => {
    const clone = join(work, "advisory-database");
    await cp(FIXTURE, clone, { recursive: true });
    await writeFile(join(clone, "README.md"), "# advisory database\n");
    // The clone itself works; its parent must not be read as a tree with one package called "advisory-database".
    expect((await new OsvDbScanner(clone).scan([REQUESTS])).get("PyPI:requests@2.25.0")?.length).toBeGreaterThan(0);
    await expect(new OsvDbScanner(work).scan([REQUESTS])).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
      message: expect.stringContaining("not in a known layout"),
    });
  });

  it("a /tmp-like folder of unrelated files and folders", async () => {
    await mkdir(join(work, "some-cache"), { recursive: true });
    await writeFile(join(work, "some-cache", "data.bin"), "x");
    await writeFile(join(work, "notes.txt"), "x");
    await expect(new OsvDbScanner(work).scan([REQUESTS])).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
  });

  it("package folders holding no advisories, only other files", async () => {
    await mkdir(join(work, "vulns", "requests"), { recursive: true });
    await writeFile(join(work, "vulns", "requests", "README.txt"), "x");
    await expect(new OsvDbScanner(work).scan([REQUESTS])).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
      message: expect.stringContaining("holds no advisory files"),
    });
  });

  it("an empty folder, and a tree of empty package folders", async () => {
    await expect(new OsvDbScanner(work).scan([REQUESTS])).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
    await mkdir(join(work, "vulns", "requests"), { recursive: true });
    await expect(new OsvDbScanner(work).scan([REQUESTS])).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
  });

  it("a folder of JSON that is not OSV records (package.json files)", async () => {
    await writeFile(join(work, "a.json"), JSON.stringify({ id: "left-pad", version: "1.0.0" }));
    await expect(new OsvDbScanner(work).scan([REQUESTS])).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
      message: expect.stringContaining("not an OSV record"),
    });
  });

  it("doctor's probe says what is wrong and what to do instead of ok", async () => {
    await cp(FIXTURE, join(work, "advisory-database"), { recursive: true });
    expect(await new OsvDbScanner(work).probe()).toMatchObject({
      ok: false,
      backend: "osv-db",
      problem: expect.stringContaining("not in a known layout"),
      fix: expect.stringContaining("scan.osvDbDir"),
    });
  });
});

describe("advisory directory layouts and health", () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), "advisory-dir-"));
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  it("reads a flat folder of OSV JSON records (an extracted all.zip), indexed by the packages they name", async () => {
    await writeFile(join(work, "GHSA-aaaa.json"), JSON.stringify(record("GHSA-aaaa", "Demo_Pkg", "2.0")));
    await writeFile(join(work, "MAL-2099-1.json"), JSON.stringify(record("MAL-2099-1", "evil-pkg", "99")));
    await writeFile(join(work, "GHSA-npm.json"), JSON.stringify(record("GHSA-npm", "demo-pkg", "9.0", "npm")));
    const scanner = new OsvDbScanner(work);
    const out = await scanner.scan([
      { ecosystem: "PyPI", name: "demo-pkg", version: "1.0" },
      { ecosystem: "PyPI", name: "evil-pkg", version: "1.0" },
      { ecosystem: "PyPI", name: "demo-pkg", version: "2.0" },
    ]);
    // The npm record of the same name is another package: it neither matches nor changes fixed versions.
    expect(out.get("PyPI:demo-pkg@1.0")?.map((f) => [f.id, f.fixedVersions])).toEqual([["GHSA-aaaa", ["2.0"]]]);
    expect(out.get("PyPI:evil-pkg@1.0")?.map((f) => f.id)).toEqual(["MAL-2099-1"]);
    expect(out.get("PyPI:demo-pkg@2.0")).toEqual([]);
    expect(await scanner.probe()).toMatchObject({ ok: true, layout: "osv-json-dir", advisories: 3 });
  });

  it("reports layout, count, newest change, version and age, and a new version after any change", async () => {
    await cp(FIXTURE, work, { recursive: true });
    const now = Date.parse("2030-01-10T00:00:00Z");
    const old = new Date(now - 3 * DAY);
    await utimes(join(work, "vulns", "requests", "PYSEC-2023-74.yaml"), old, old);
    const scanner = new OsvDbScanner(work, { now: () => new Date(now) });
    const health = await scanner.probe();
    expect(health).toMatchObject({ ok: true, backend: "osv-db", layout: "pypa-tree", advisories: 40 });
    expect(health.source).toBe(join(work, "vulns"));
    const before = await scanner.source();
    await writeFile(
      join(work, "vulns", "requests", "PYSEC-2099-1.yaml"),
      "id: PYSEC-2099-1\naffected:\n- package: {name: requests, ecosystem: PyPI}\n  versions: ['2.25.0']\n",
    );
    const fresh = new OsvDbScanner(work, { now: () => new Date(now) });
    const after = await fresh.source();
    expect(after.id).toBe(before.id);
    expect(after.version).not.toBe(before.version);
    expect(after.advisories).toBe(41);
  });

  it("with scan.maxAdvisoryAgeDays, refuses to scan against older data and names the fix", async () => {
    await cp(FIXTURE, work, { recursive: true });
    const files = await import("node:fs/promises").then((fs) => fs.readdir(join(work, "vulns"), { recursive: true }));
    const now = Date.parse("2030-01-10T00:00:00Z");
    const tenDaysAgo = new Date(now - 10 * DAY);
    for (const f of files) await utimes(join(work, "vulns", f), tenDaysAgo, tenDaysAgo);
    const clock = () => new Date(now);
    expect(await new OsvDbScanner(work, { now: clock, maxAgeDays: 11 }).probe()).toMatchObject({
      ok: true,
      ageDays: 10,
      newest: tenDaysAgo.toISOString(),
    });
    const strict = new OsvDbScanner(work, { now: clock, maxAgeDays: 7 });
    await expect(strict.scan([REQUESTS])).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
      message: expect.stringMatching(/10 days old.*scan\.maxAdvisoryAgeDays \(7\).*update the advisory directory/s),
    });
    await expect(strict.source()).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
    expect(await strict.probe()).toMatchObject({ ok: false, ageDays: 10, fix: expect.stringContaining("update") });
  });

  it("refuses pins of an ecosystem the directory holds no advisories for", async () => {
    await cp(FIXTURE, work, { recursive: true });
    await expect(
      new OsvDbScanner(work).scan([{ ecosystem: "npm", name: "left-pad", version: "1.3.0" }]),
    ).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
  });
});
