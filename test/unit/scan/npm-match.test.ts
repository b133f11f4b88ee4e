import { describe, expect, it } from "vitest";
import { rulesFor } from "../../../src/scan/ecosystems.js";
import { toAdvisory, type OsvAdvisory } from "../../../src/scan/osv-advisory.js";
import { affects, inRange, matchAdvisories } from "../../../src/scan/osv-match.js";
import { checkedPins } from "../../../src/scan/pins.js";
import { thrown } from "../policy/helpers.js";

const NPM = rulesFor("npm")!;
const pin = (name: string, version: string) => ({ ecosystem: "npm" as const, name, version });

const advisory = (raw: Record<string, unknown>): OsvAdvisory => {
  const a = toAdvisory(raw);
  if (!a) throw new Error("bad fixture");
  return a;
};

const npmAdvisory = (
  name: string,
  ranges: { type: string; events: Record<string, string>[] }[],
  extra: Record<string, unknown> = {},
  versions: string[] = [],
): OsvAdvisory =>
  advisory({ id: "GHSA-test", affected: [{ package: { name, ecosystem: "npm" }, ranges, versions }], ...extra });

describe("npm version rules for scanning (semver order, SEMVER ranges)", () => {
  const events = [{ introduced: "0" }, { fixed: "4.17.12" }, { introduced: "5.0.0-beta.2" }, { fixed: "5.0.1" }];
  it.each([
    ["0.0.1", true],
    ["4.17.11", true],
    ["4.17.12-rc.1", true], // a pre-release of the fix sorts below it
    ["4.17.12", false],
    ["4.99.0", false],
    ["5.0.0-beta.1", false],
    ["5.0.0-beta.2", true],
    ["5.0.0-beta.10", true], // numeric pre-release identifiers, not lexical
    ["5.0.0", true],
    ["5.0.1", false],
    ["10.0.0", false], // numeric, not lexical, ordering
    ["not-a-version", false],
  ])("%s is affected: %s", (version, expected) => {
    expect(inRange(version, events, NPM)).toBe(expected);
  });

  it("last_affected includes its own version; ECOSYSTEM ranges read the same order; explicit versions count", () => {
    const last = npmAdvisory("x", [{ type: "SEMVER", events: [{ introduced: "2.0.0" }, { last_affected: "2.3.0" }] }]);
    expect(affects(last, pin("x", "2.3.0"))).toBe(true);
    expect(affects(last, pin("x", "2.3.1"))).toBe(false);
    const eco = npmAdvisory("x", [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1.0.0" }] }]);
    expect(affects(eco, pin("x", "0.9.9"))).toBe(true);
    const listed = npmAdvisory("x", [], {}, ["1.2.3"]);
    expect(affects(listed, pin("x", "1.2.3"))).toBe(true);
    expect(affects(listed, pin("x", "1.2.4"))).toBe(false);
    // A GIT range says nothing about registry versions.
    expect(affects(npmAdvisory("x", [{ type: "GIT", events: [{ introduced: "0" }] }]), pin("x", "1.0.0"))).toBe(false);
  });

  it("names are matched as npm publishes them; withdrawn records and other ecosystems never match", () => {
    const a = npmAdvisory("lodash.merge", [{ type: "SEMVER", events: [{ introduced: "0" }] }]);
    expect(affects(a, pin("lodash.merge", "4.6.2"))).toBe(true);
    expect(affects(a, pin("lodash-merge", "4.6.2"))).toBe(false);
    expect(affects(a, pin("Lodash.merge", "4.6.2"))).toBe(false);
    const scoped = npmAdvisory("@acme/widget", [{ type: "SEMVER", events: [{ introduced: "0" }] }]);
    expect(affects(scoped, pin("@acme/widget", "2.0.0"))).toBe(true);
    expect(affects(scoped, pin("@acrne/widget", "2.0.0"))).toBe(false);
    const withdrawn = npmAdvisory("x", [{ type: "SEMVER", events: [{ introduced: "0" }] }], {
      withdrawn: "2026-01-01",
    });
    expect(affects(withdrawn, pin("x", "1.0.0"))).toBe(false);
    const pypi = advisory({
      id: "PYSEC-1",
      affected: [
        { package: { name: "x", ecosystem: "PyPI" }, ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }] },
      ],
    });
    expect(affects(pypi, pin("x", "1.0.0"))).toBe(false);
  });

  it("a finding carries its ecosystem and fixed versions in semver order; MAL- records match like any other", () => {
    const a = npmAdvisory("x", [
      { type: "SEMVER", events: [{ introduced: "0" }, { fixed: "10.0.0" }] },
      { type: "SEMVER", events: [{ introduced: "0" }, { fixed: "9.1.0" }] },
    ]);
    expect(matchAdvisories([a], pin("x", "9.0.0"))).toEqual([
      {
        id: "GHSA-test",
        aliases: [],
        ecosystem: "npm",
        package: "x",
        version: "9.0.0",
        fixedVersions: ["9.1.0", "10.0.0"],
      },
    ]);
    const mal = advisory({
      id: "MAL-2099-7",
      affected: [
        { package: { name: "evilpkg", ecosystem: "npm" }, ranges: [{ type: "SEMVER", events: [{ introduced: "0" }] }] },
      ],
    });
    expect(matchAdvisories([mal], pin("evilpkg", "3.2.1")).map((f) => f.id)).toEqual(["MAL-2099-7"]);
  });

  it("only npm names and exact versions reach a scanner", () => {
    expect(
      checkedPins([pin("@acme/widget", "2.0.0"), pin("JSONStream", "1.3.5"), pin("x", "1.0.0-rc.1+b.2")]),
    ).toHaveLength(3);
    for (const bad of [
      pin("../etc", "1.0.0"),
      pin("@acme/../x", "1.0.0"),
      pin("x", "^1.0.0"),
      pin("x", "1.0.0 --registry=http://evil"),
      pin("x y", "1.0.0"),
      pin("x", "v1.0.0"),
    ]) {
      expect(thrown(() => checkedPins([bad])).code, JSON.stringify(bad)).toBe("SCANNER_UNAVAILABLE");
    }
  });
});
