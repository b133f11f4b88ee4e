import { describe, expect, it } from "vitest";
import { toAdvisory, type OsvAdvisory } from "../../../src/scan/osv-advisory.js";
import { affects, inRange, matchAdvisories } from "../../../src/scan/osv-match.js";

const advisory = (raw: Record<string, unknown>): OsvAdvisory => {
  const a = toAdvisory(raw);
  if (!a) throw new Error("bad fixture");
  return a;
};

const ranged = (events: Record<string, string>[], extra: Record<string, unknown> = {}): OsvAdvisory =>
  advisory({
    id: "PYSEC-1",
    affected: [{ package: { name: "demo", ecosystem: "PyPI" }, ranges: [{ type: "ECOSYSTEM", events }] }],
    ...extra,
  });

describe("inRange (OSV ECOSYSTEM evaluation, PEP 440 order)", () => {
  const events = [{ introduced: "0" }, { fixed: "1.4" }, { introduced: "2.0" }, { fixed: "2.0.5" }];
  it.each([
    ["0.1", true],
    ["1.3.9", true],
    ["1.4rc1", true], // a pre-release of the fix still sorts below it
    ["1.4", false],
    ["1.9", false],
    ["2.0a1", false],
    ["2.0", true],
    ["2.0.4", true],
    ["2.0.5", false],
    ["10.0", false], // numeric, not lexical, ordering
  ])("%s → %s", (version, expected) => {
    expect(inRange(version, events)).toBe(expected);
  });

  it("treats introduced 0 as before every version, even pre-releases of 0", () => {
    expect(inRange("0.0a1", [{ introduced: "0" }])).toBe(true);
    expect(inRange("0.0a1", [{ introduced: "0.0" }])).toBe(false);
  });

  it("includes last_affected itself and nothing after it", () => {
    const e = [{ introduced: "0" }, { last_affected: "1.11.0" }];
    expect(inRange("1.11.0", e)).toBe(true);
    expect(inRange("1.11.0.post1", e)).toBe(false);
    expect(inRange("1.11.1", e)).toBe(false);
  });

  it("sorts events before evaluating them", () => {
    expect(inRange("1.5", [{ fixed: "2.0" }, { introduced: "1.0" }])).toBe(true);
  });

  it("leaves out events PEP 440 cannot read, and never matches an unreadable version", () => {
    expect(inRange("1.0", [{ introduced: "0" }, { fixed: "not-a-version" }])).toBe(true);
    expect(inRange("banana", [{ introduced: "0" }])).toBe(false);
  });
});

describe("affects", () => {
  it("matches the explicit versions list, in any PEP 440 spelling", () => {
    const a = advisory({
      id: "PYSEC-2",
      affected: [{ package: { name: "Demo_Pkg", ecosystem: "PyPI" }, versions: ["0.8.0-alpha2", "1.0"] }],
    });
    expect(affects(a, { ecosystem: "PyPI", name: "demo-pkg", version: "0.8.0a2" })).toBe(true);
    expect(affects(a, { ecosystem: "PyPI", name: "demo-pkg", version: "1.0.0" })).toBe(true);
    expect(affects(a, { ecosystem: "PyPI", name: "demo-pkg", version: "1.1" })).toBe(false);
  });

  it("ignores withdrawn advisories, other ecosystems, other packages and GIT ranges", () => {
    expect(
      affects(ranged([{ introduced: "0" }], { withdrawn: "2023-06-06T10:37:00Z" }), {
        ecosystem: "PyPI",
        name: "demo",
        version: "1.0",
      }),
    ).toBe(false);
    const npm = advisory({
      id: "X",
      affected: [
        { package: { name: "demo", ecosystem: "npm" }, ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }] },
      ],
    });
    expect(affects(npm, { ecosystem: "PyPI", name: "demo", version: "1.0" })).toBe(false);
    expect(affects(ranged([{ introduced: "0" }]), { ecosystem: "PyPI", name: "other", version: "1.0" })).toBe(false);
    const git = advisory({
      id: "G",
      affected: [
        { package: { name: "demo", ecosystem: "PyPI" }, ranges: [{ type: "GIT", events: [{ introduced: "0" }] }] },
      ],
    });
    expect(affects(git, { ecosystem: "PyPI", name: "demo", version: "1.0" })).toBe(false);
  });
});

describe("matchAdvisories", () => {
  it("builds findings with aliases, sorted fixed versions and a one-line summary", () => {
    const a = ranged(
      [{ introduced: "0" }, { fixed: "2.0.5" }, { introduced: "1.0" }, { fixed: "1.10" }, { fixed: "1.9" }],
      {
        aliases: ["CVE-2099-1", "GHSA-xxxx"],
        ecosystem: "PyPI",
        details: "First line.\nSecond line.",
      },
    );
    expect(matchAdvisories([a], { ecosystem: "PyPI", name: "demo", version: "1.0" })).toEqual([
      {
        id: "PYSEC-1",
        aliases: ["CVE-2099-1", "GHSA-xxxx"],
        ecosystem: "PyPI",
        package: "demo",
        version: "1.0",
        fixedVersions: ["1.9", "1.10", "2.0.5"],
        summary: "First line.",
      },
    ]);
  });

  it("returns an empty list for a clean pin", () => {
    expect(
      matchAdvisories([ranged([{ introduced: "0" }, { fixed: "1.0" }])], {
        ecosystem: "PyPI",
        name: "demo",
        version: "1.0",
      }),
    ).toEqual([]);
  });
});

describe("toAdvisory", () => {
  it("drops malformed parts instead of guessing (a real withdrawn entry has `ranges` as a mapping)", () => {
    const a = toAdvisory({
      id: "PYSEC-2023-73",
      affected: [{ package: { name: "redis", ecosystem: "PyPI" }, ranges: { events: [{ introduced: "0" }] } }],
    });
    expect(a?.affected[0]?.ranges).toEqual([]);
    expect(toAdvisory({ summary: "no id" })).toBeUndefined();
  });
});
