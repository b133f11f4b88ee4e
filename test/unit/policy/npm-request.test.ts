import { describe, expect, it } from "vitest";
import { npmNameProblem, suggestSimilarNpm } from "../../../src/policy/npm-names.js";
import {
  intersectNpmRanges,
  npmRangeContains,
  npmRangeIsEmpty,
  npmRangeWithin,
  parseNpmRange,
} from "../../../src/policy/npm-range.js";
import { parseNpmRequest } from "../../../src/policy/npm-request.js";
import { thrown } from "./helpers.js";

describe("npm names", () => {
  it.each(["lodash", "lodash.merge", "@acme/widget", "d3", "events", "a-b_c~d", "@types/node"])("accepts %s", (n) =>
    expect(npmNameProblem(n)).toBeNull(),
  );

  it.each([
    ["Lodash", /lowercase/],
    ["@Acme/widget", /lowercase/],
    ["JSONStream", /lowercase/],
    ["ｌodash", /printable ASCII/],
    ["lоdash", /printable ASCII/], // Cyrillic о
    ["lodash\u200b", /printable ASCII/],
    ["lodash\n", /printable ASCII/],
    ["lo dash", /printable ASCII/],
    ["../x", /period/],
    [".bin", /period/],
    ["_hidden", /underscore/],
    ["node_modules", /not a valid package name/],
    ["@acme/", /URL-friendly/],
    ["@/x", /URL-friendly/],
    ["a/b", /URL-friendly/],
    ["x".repeat(215), /214/],
    ["", /non-empty/],
  ])("refuses %j", (name, why) => expect(npmNameProblem(name)).toMatch(why));

  it("hints at close names as listed, scope look-alikes and separator swaps included", () => {
    const listed = ["lodash", "lodash.merge", "@acme/widget", "d3", "chart.js", "react"];
    expect(suggestSimilarNpm("lodahs", listed)).toEqual(["lodash"]);
    expect(suggestSimilarNpm("lodash-merge", listed)).toEqual(["lodash.merge"]);
    expect(suggestSimilarNpm("@acrne/widget", listed)).toEqual(["@acme/widget"]);
    expect(suggestSimilarNpm("@evil/widget", listed)).toEqual([]);
    expect(suggestSimilarNpm("chartjs", listed)).toEqual(["chart.js"]);
    expect(suggestSimilarNpm("express", listed)).toEqual([]);
  });
});

describe("npm ranges", () => {
  it("keeps a valid range as written; '' and '*' are any version", () => {
    expect(parseNpmRange(" ^4.17.21 ")).toBe("^4.17.21");
    expect(parseNpmRange(">=1 <2 || ^3")).toBe(">=1 <2 || ^3");
    expect(parseNpmRange("")).toBe("");
    expect(parseNpmRange("x")).toBe("x");
    expect(parseNpmRange("v1.2.3")).toBe("v1.2.3");
  });

  it.each([
    ["latest", "npm-tag"],
    ["next", "npm-tag"],
    ["beta", "npm-tag"],
    ["1.0.0 --registry=http://evil", "npm-range"],
    ["1.0.0\n", "npm-range"],
    ["^1;rm -rf", "npm-range"],
    ["npm:evil@1", "npm-range"],
    [">=x.y", "npm-range"],
    ["1".repeat(201), "too-long"],
  ])("refuses %j (%s)", (range, reason) => {
    const e = thrown(() => parseNpmRange(range));
    expect(e.code).toBe("INVALID_REQUIREMENT");
    expect(e.details.reason).toBe(reason);
  });

  it("contains, within, empty and intersect follow node-semver (no pre-releases unless named)", () => {
    expect(npmRangeContains("^4.17.0", "4.17.21")).toBe(true);
    expect(npmRangeContains("^4.17.0", "5.0.0")).toBe(false);
    expect(npmRangeContains("^4.17.0", "4.18.0-beta.1")).toBe(false);
    expect(npmRangeContains("", "0.0.1")).toBe(true);
    expect(npmRangeContains("^4", "not-a-version")).toBe(false);
    expect(npmRangeWithin("4.17.21", "^4.17.0")).toBe(true);
    expect(npmRangeWithin("*", "^4")).toBe(false);
    expect(npmRangeWithin("^4", "")).toBe(true);
    expect(npmRangeWithin(">=3 <2", "")).toBe(false);
    expect(npmRangeWithin("^4.0.0-beta.1", "^4.0.0")).toBe(false);
    expect(npmRangeIsEmpty(">=3 <2")).toBe(true);
    expect(npmRangeIsEmpty("^1")).toBe(false);
    expect(intersectNpmRanges("^4", ">=4.2")).toBe(">=4.0.0 <5.0.0-0 >=4.2.0");
    expect(intersectNpmRanges("", "^4")).toBe("^4");
    expect(npmRangeContains(intersectNpmRanges("1 || 3", "<2 || >3.5"), "3.6.0")).toBe(true);
    expect(npmRangeContains(intersectNpmRanges("1 || 3", "<2 || >3.5"), "3.1.0")).toBe(false);
  });
});

describe("npm requests", () => {
  it.each([
    ["lodash", undefined, { name: "lodash", range: "" }],
    ["lodash@^4.17.21", undefined, { name: "lodash", range: "^4.17.21" }],
    ["@acme/widget@2.0.0", undefined, { name: "@acme/widget", range: "2.0.0" }],
    ["@acme/widget", "^2", { name: "@acme/widget", range: "^2" }],
    ["lodash@^4", ">=4.2", { name: "lodash", range: ">=4.0.0 <5.0.0-0 >=4.2.0" }],
    ["d3@7.9.0", "", { name: "d3", range: "7.9.0" }],
  ])("reads %j with version %j", (raw, version, expected) => expect(parseNpmRequest(raw, version)).toEqual(expected));

  it.each([
    ["lodash@npm:evil@1.0.0", "npm-spec"],
    ["npm:evil", "npm-spec"],
    ["github:evil/lodash", "vcs"],
    ["git+https://evil.example/lodash.git", "vcs"],
    ["git://evil.example/lodash.git", "vcs"],
    ["lodash@git+ssh://git@evil.example/x.git", "vcs"],
    ["evil/lodash", "vcs"],
    ["evil/lodash#main", "vcs"],
    ["https://evil.example/lodash-4.17.21.tgz", "url"],
    ["lodash@https://evil.example/x.tgz", "url"],
    ["file:../lodash", "npm-spec"],
    ["lodash@file:/etc", "npm-spec"],
    ["lodash@link:../x", "npm-spec"],
    ["lodash@workspace:*", "npm-spec"],
    ["./lodash", "path"],
    ["/tmp/lodash.tgz", "path"],
    ["~/lodash", "path"],
    ["../lodash", "path"],
    ["--registry=http://evil lodash", "option"],
    ["lodash@latest", "npm-tag"],
    ["lodash@next", "npm-tag"],
    ["Lodash", "name"],
    ["@Acme/widget", "name"],
    ["ｌodash", "non-ascii"],
    ["lodash\n@1", "control-char"],
    ["lodash@1.0.0 --ignore-scripts=false", "npm-range"],
    ["lodash@", "npm-range"],
    ["", "empty"],
    ["x".repeat(301), "too-long"],
  ])("refuses %j (%s)", (raw, reason) => {
    const e = thrown(() => parseNpmRequest(raw, undefined));
    expect(e.code).toBe("INVALID_REQUIREMENT");
    expect(e.details.reason).toBe(reason);
  });

  it("refuses a tag or a non-string in the separate version too", () => {
    expect(thrown(() => parseNpmRequest("lodash", "latest")).details.reason).toBe("npm-tag");
    expect(thrown(() => parseNpmRequest("lodash", 4)).details.reason).toBe("parameter");
    expect(thrown(() => parseNpmRequest(42, undefined)).details.reason).toBe("parameter");
  });
});
