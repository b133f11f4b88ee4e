import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { evaluateNpm } from "../../../src/policy/npm-decide.js";
import { parseNpmRequest } from "../../../src/policy/npm-request.js";
import { WhitelistSources } from "../../../src/policy/whitelist-sources.js";
import { Whitelist, loadDefaultLayer, parseWhitelistYaml } from "../../../src/policy/whitelist.js";
import { thrown } from "./helpers.js";

// The documented extension: npm entries sit in the same tiers as Python ones, marked `ecosystem: npm`.
const MIXED = `
tiers:
  student:
    - package: pandas
      version: ">=2.0.0,<3.0.0"
      category: data-science
    - package: lodash
      ecosystem: npm
      version: "^4.17.21"
      category: utilities
    - package: "@acme/widget"
      ecosystem: npm
      version: "2.0.0"
  intern:
    - package: lodash
      ecosystem: npm
      version: "^4.17.0 || ^5.0.0"
    - package: d3
      ecosystem: npm
      version: ">=7.8 <8"
      category: charts
      requires_approval: true
removed: ["npm:left-pad", numpy]
`;

describe("whitelist file: npm entries beside the seed's Python ones", () => {
  const layer = parseWhitelistYaml(MIXED, "mixed.yaml");
  const w = Whitelist.fromLayers([loadDefaultLayer(), layer]);

  it("the seed's own file still loads unchanged, every entry PyPI", () => {
    const seed = Whitelist.fromLayers([loadDefaultLayer()]);
    expect(seed.visibleAt("autonomous").every((e) => e.ecosystem === "PyPI")).toBe(true);
    expect(seed.names("npm")).toEqual([]);
  });

  it("npm entries get the same tiers, inheritance, categories and approval flag", () => {
    expect(w.lookup("lodash", "student", "npm")).toMatchObject({
      package: "lodash",
      ecosystem: "npm",
      version: "^4.17.21",
      maturity: "student",
      category: "utilities",
      extras: [],
    });
    expect(w.lookup("lodash", "intern", "npm")?.version).toBe("^4.17.0 || ^5.0.0");
    expect(w.lookup("d3", "student", "npm")).toBeUndefined();
    expect(w.lookup("d3", "autonomous", "npm")).toMatchObject({ requires_approval: true, maturity: "intern" });
    expect(w.approvedAt("d3", "npm")).toBe("intern");
    expect(w.visibleAt("intern", "npm").map((e) => e.package)).toEqual(["@acme/widget", "d3", "lodash"]);
  });

  it("the ecosystems never answer for each other", () => {
    expect(w.lookup("lodash", "autonomous")).toBeUndefined();
    expect(w.lookup("pandas", "autonomous", "npm")).toBeUndefined();
    expect(w.names()).not.toContain("lodash");
    expect(w.names("npm")).not.toContain("pandas");
    expect(w.lookup("pandas", "student")?.ecosystem).toBe("PyPI");
    // `removed: [numpy]` is the Python numpy; npm names are spelled `npm:<name>` there.
    expect(w.lookup("numpy", "student")).toBeUndefined();
    expect(layer.removed).toEqual(["npm:left-pad", "numpy"]);
  });

  it("npm names are looked up exactly as npm spells them", () => {
    expect(w.lookup("Lodash", "student", "npm")).toBeUndefined();
    expect(w.lookup("lodash ", "student", "npm")).toBeUndefined();
    expect(w.lookup("@acme/widget", "student", "npm")?.package).toBe("@acme/widget");
  });

  it.each([
    [
      "    - {package: Lodash, ecosystem: npm}",
      "tiers.student[0].package: 'Lodash' is not an npm name: npm package names",
    ],
    ["    - {package: lodash, ecosystem: npm, version: latest}", "tiers.student[0].version: 'latest' is a dist-tag"],
    ["    - {package: lodash, ecosystem: npm, version: '>=4.x <'}", "tiers.student[0].version:"],
    ["    - {package: lodash, ecosystem: npm, extras: [a]}", "tiers.student[0].extras: npm entries have no extras"],
    ["    - {package: lodash, ecosystem: cargo}", "tiers.student[0].ecosystem"],
    [
      "    - {package: lodash, ecosystem: npm}\n    - {package: lodash, ecosystem: npm, version: '1'}",
      "'npm:lodash' is declared twice in tier student",
    ],
  ])("refuses a bad npm entry: %s", (entry, message) => {
    const e = thrown(() => parseWhitelistYaml(`tiers:\n  student:\n${entry}\n`, "f.yaml"));
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.message).toContain(message);
  });

  it("the same name may be listed once per ecosystem in one tier", () => {
    const l = parseWhitelistYaml(
      "tiers:\n  student:\n    - {package: six}\n    - {package: six, ecosystem: npm}\n",
      "f",
    );
    const both = Whitelist.fromLayers([l]);
    expect(both.lookup("six", "student")?.ecosystem).toBe("PyPI");
    expect(both.lookup("six", "student", "npm")?.ecosystem).toBe("npm");
  });
});

describe("evaluateNpm", () => {
  const w = Whitelist.fromLayers([parseWhitelistYaml(MIXED, "mixed.yaml")]);
  const decide = (raw: string, maturity: "student" | "intern" = "student", version?: string) =>
    evaluateNpm(w, parseNpmRequest(raw, version), maturity);

  it("the resolver gets both ranges, written as the narrower one when one lies inside the other", () => {
    expect(decide("lodash@4.17.21")).toMatchObject({ effectiveRange: "4.17.21", requiresApproval: false });
    expect(decide("lodash").effectiveRange).toBe("^4.17.21");
    // The seed's semantics, as for PyPI: a wider request is narrowed to the approved range, not refused.
    expect(decide("lodash@*").effectiveRange).toBe("^4.17.21");
    expect(decide("lodash@x").effectiveRange).toBe("^4.17.21");
    expect(decide("lodash@>=0").effectiveRange).toBe("^4.17.21");
    expect(decide("lodash@>=4.17.22 <4.18").effectiveRange).toBe(">=4.17.22 <4.18");
    expect(decide("lodash@^4.17.0 <4.17.30").effectiveRange).toBe(">=4.17.0 <5.0.0-0 <4.17.30 >=4.17.21 <5.0.0-0");
    expect(decide("d3@7.9.0", "intern")).toMatchObject({ effectiveRange: "7.9.0", requiresApproval: true });
  });

  it("not whitelisted: names the tier that would allow it, or hints at close names", () => {
    expect(thrown(() => decide("d3@7.9.0")).message).toBe(
      "npm package 'd3' is not approved for student agents; approved at: intern",
    );
    const typo = thrown(() => decide("lodahs"));
    expect(typo.code).toBe("NOT_WHITELISTED");
    expect(typo.details.hints).toEqual(["lodash"]);
    expect(typo.message).toContain("Did you mean: lodash?");
    expect(thrown(() => decide("@acrne/widget")).details.hints).toEqual(["@acme/widget"]);
    expect(thrown(() => decide("pandas")).code).toBe("NOT_WHITELISTED");
  });

  it.each([
    [
      "lodash@5.0.0",
      "has no version in common with the approved range '^4.17.21' for lodash; request e.g. 'lodash@^4.17.21'",
    ],
    ["lodash@<4.17.21", "has no version in common"],
    ["lodash@^4.18.0-beta.1", "names a pre-release, but the approved range '^4.17.21' for lodash allows none"],
    ["lodash@>=5 <4", "matches no version"],
  ])("CONSTRAINT_VIOLATION for %s", (raw, message) => {
    const e = thrown(() => decide(raw));
    expect(e.code).toBe("CONSTRAINT_VIOLATION");
    expect(e.message).toContain(message);
  });

  it("an entry whose range matches nothing refuses every request as a configuration error", () => {
    const broken = Whitelist.fromLayers([
      parseWhitelistYaml("tiers:\n  student:\n    - {package: x, ecosystem: npm, version: '>=2 <1'}\n", "b.yaml"),
    ]);
    const e = thrown(() => evaluateNpm(broken, parseNpmRequest("x", undefined), "student"));
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.message).toContain("(b.yaml) matches no version");
  });

  it("a pre-release passes only when the approved range names pre-releases", () => {
    const pre = Whitelist.fromLayers([
      parseWhitelistYaml("tiers:\n  student:\n    - {package: x, ecosystem: npm, version: '^2.0.0-0'}\n", "p"),
    ]);
    expect(evaluateNpm(pre, parseNpmRequest("x@2.0.0-rc.1", undefined), "student").effectiveRange).toBe("2.0.0-rc.1");
  });
});

describe("WhitelistSources: packages.whitelist.add/remove with an ecosystem", () => {
  let dir: string;
  let sources: WhitelistSources;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pg-npm-wl-"));
    sources = new WhitelistSources(parseConfig({}, dir).whitelist);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("adds an npm entry to the overlay in the documented format, and removes it again", async () => {
    const created = await sources.add({
      package: "@acme/widget",
      ecosystem: "npm",
      version: "^2.0.0",
      category: "charts",
      maturity: "intern",
    });
    expect(created).toMatchObject({ package: "@acme/widget", ecosystem: "npm", version: "^2.0.0", maturity: "intern" });
    const overlay = await readFile(join(dir, "package-guard", "whitelist.yaml"), "utf8");
    expect(parseWhitelistYaml(overlay, "o").tiers.intern).toEqual([
      { package: "@acme/widget", ecosystem: "npm", version: "^2.0.0", category: "charts" },
    ]);
    expect((await sources.current()).lookup("@acme/widget", "intern")).toBeUndefined();
    expect(await sources.remove("@acme/widget", undefined, "npm")).toBe(true);
    expect((await sources.current()).lookup("@acme/widget", "autonomous", "npm")).toBeUndefined();
    expect(
      parseWhitelistYaml(await readFile(join(dir, "package-guard", "whitelist.yaml"), "utf8"), "o").removed,
    ).toEqual(["npm:@acme/widget"]);
  });

  it("removing the npm entry leaves a Python package of the same name alone", async () => {
    await sources.add({ package: "six", maturity: "student" });
    await sources.add({ package: "six", ecosystem: "npm", maturity: "student" });
    expect(await sources.remove("six", undefined, "npm")).toBe(true);
    expect((await sources.current()).lookup("six", "student")?.ecosystem).toBe("PyPI");
    expect((await sources.current()).lookup("six", "student", "npm")).toBeUndefined();
  });

  it.each([
    [{ package: "Lodash", ecosystem: "npm" }, "Invalid npm package name 'Lodash'"],
    [{ package: "lodash", ecosystem: "npm", version: "latest" }, "is a dist-tag"],
    [{ package: "lodash", ecosystem: "npm", extras: ["x"] }, "npm entries have no extras"],
    [{ package: "lodash", ecosystem: "cargo" }, "Invalid whitelist entry: /ecosystem"],
  ])("refuses %j", async (entry, message) => {
    await expect(sources.add({ ...entry, maturity: "student" })).rejects.toMatchObject({
      code: "INVALID_REQUIREMENT",
      message: expect.stringContaining(message),
    });
  });
});
