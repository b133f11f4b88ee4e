import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OsvDbScanner } from "../../../src/scan/osv-db.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";

const FIXTURE = join(REPO_ROOT, "test", "fixtures", "pypa-advisories");

const ids = (findings: { id: string }[] | undefined): string[] => (findings ?? []).map((f) => f.id);

describe("OsvDbScanner on hand-written advisories", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "osv-db-test-"));
    await mkdir(join(root, "vulns", "Demo_Pkg"), { recursive: true });
    await mkdir(join(root, "vulns", "other"), { recursive: true });
    // Unquoted versions on purpose: YAML's core schema would read 3.10 as the number 3.1.
    await writeFile(
      join(root, "vulns", "Demo_Pkg", "PYSEC-2099-1.yaml"),
      [
        "id: PYSEC-2099-1",
        "summary: demo is broken",
        "aliases:",
        "- CVE-2099-0001",
        "affected:",
        "- package:",
        "    name: demo-pkg",
        "    ecosystem: PyPI",
        "  ranges:",
        "  - type: ECOSYSTEM",
        "    events:",
        "    - introduced: 0",
        "    - fixed: 3.10",
        "  versions:",
        "  - 3.1",
        "",
      ].join("\n"),
    );
    await writeFile(
      join(root, "vulns", "Demo_Pkg", "PYSEC-2099-2.yaml"),
      "id: PYSEC-2099-2\nwithdrawn: '2099-01-01T00:00:00Z'\naffected:\n- package: {name: demo-pkg, ecosystem: " +
        "PyPI}\n  ranges: [{type: ECOSYSTEM, events: [{introduced: '0'}]}]\n",
    );
    await writeFile(join(root, "vulns", "Demo_Pkg", "README.txt"), "not an advisory");
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("finds the folder by its PEP 503 name and compares versions in PEP 440 order", async () => {
    const result = await new OsvDbScanner(root).scan([
      { ecosystem: "PyPI", name: "demo-pkg", version: "3.9" },
      { ecosystem: "PyPI", name: "demo-pkg", version: "3.10" },
      { ecosystem: "PyPI", name: "absent", version: "1.0" },
    ]);
    expect(result.get("PyPI:demo-pkg@3.9")).toEqual([
      {
        id: "PYSEC-2099-1",
        aliases: ["CVE-2099-0001"],
        ecosystem: "PyPI",
        package: "demo-pkg",
        version: "3.9",
        fixedVersions: ["3.10"],
        summary: "demo is broken",
      },
    ]);
    expect(result.get("PyPI:demo-pkg@3.10")).toEqual([]);
    expect(result.get("PyPI:absent@1.0")).toEqual([]);
    expect(result.size).toBe(3);
  });

  it("accepts the vulns/ folder itself as well as the repository root", async () => {
    const result = await new OsvDbScanner(join(root, "vulns")).scan([
      { ecosystem: "PyPI", name: "demo-pkg", version: "1.0" },
    ]);
    expect(ids(result.get("PyPI:demo-pkg@1.0"))).toEqual(["PYSEC-2099-1"]);
  });

  it("fails closed on a missing directory, a broken advisory file, an odd pin or a non-PEP 440 version", async () => {
    await expect(
      new OsvDbScanner(join(root, "nope")).scan([{ ecosystem: "PyPI", name: "demo-pkg", version: "1.0" }]),
    ).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
    await writeFile(join(root, "vulns", "other", "PYSEC-2099-3.yaml"), "id: [unclosed\n");
    await expect(
      new OsvDbScanner(root).scan([{ ecosystem: "PyPI", name: "other", version: "1.0" }]),
    ).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
      message: expect.stringContaining("PYSEC-2099-3.yaml"),
    });
    await expect(
      new OsvDbScanner(root).scan([{ ecosystem: "PyPI", name: "../vulns", version: "1.0" }]),
    ).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
    });
    await expect(
      new OsvDbScanner(root).scan([{ ecosystem: "PyPI", name: "demo-pkg", version: "1.0-foo-bar" }]),
    ).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
    });
  });

  it("answers an empty pin list without touching the disk", async () => {
    expect((await new OsvDbScanner(join(root, "nope")).scan([])).size).toBe(0);
  });
});

describe("OsvDbScanner on real PyPA advisories (the repository's subset)", () => {
  const scanner = new OsvDbScanner(FIXTURE);

  it("flags pyyaml 5.3 and passes 6.0.1", async () => {
    const result = await scanner.scan([
      { ecosystem: "PyPI", name: "pyyaml", version: "5.3" },
      { ecosystem: "PyPI", name: "pyyaml", version: "6.0.1" },
    ]);
    const old = result.get("PyPI:pyyaml@5.3") ?? [];
    expect(ids(old)).toEqual(expect.arrayContaining(["PYSEC-2020-96", "PYSEC-2021-142"]));
    expect(old.find((f) => f.id === "PYSEC-2021-142")).toMatchObject({
      aliases: expect.arrayContaining(["CVE-2020-14343"]),
      ecosystem: "PyPI",
      fixedVersions: ["5.4"],
    });
    expect(result.get("PyPI:pyyaml@6.0.1")).toEqual([]);
  });

  it("flags jinja2 2.10 and requests 2.19.0, passes jinja2 3.1.4 and requests 2.32.3", async () => {
    const result = await scanner.scan([
      { ecosystem: "PyPI", name: "jinja2", version: "2.10" },
      { ecosystem: "PyPI", name: "jinja2", version: "3.1.4" },
      { ecosystem: "PyPI", name: "requests", version: "2.19.0" },
      { ecosystem: "PyPI", name: "requests", version: "2.32.3" },
    ]);
    expect(ids(result.get("PyPI:jinja2@2.10"))).toEqual(expect.arrayContaining(["PYSEC-2019-217", "PYSEC-2021-66"]));
    expect(result.get("PyPI:jinja2@3.1.4")).toEqual([]);
    expect(ids(result.get("PyPI:requests@2.19.0"))).toEqual(expect.arrayContaining(["PYSEC-2018-28", "PYSEC-2023-74"]));
    expect(result.get("PyPI:requests@2.32.3")).toEqual([]);
  });
});

it("reports a canceled scan as SCANNER_UNAVAILABLE", async () => {
  const controller = new AbortController();
  controller.abort();
  await expect(
    new OsvDbScanner(FIXTURE).scan([{ ecosystem: "PyPI", name: "pyyaml", version: "5.3" }], controller.signal),
  ).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
});
