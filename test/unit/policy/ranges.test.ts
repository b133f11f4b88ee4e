import { describe, expect, it } from "vitest";
import {
  intersectSpecifiers,
  mentionsPrerelease,
  specifierContains,
  specifierIsEmpty,
  specifierWithin,
} from "../../../src/policy/ranges.js";
import { thrown } from "./helpers.js";

describe("specifierContains", () => {
  it.each([
    [">=2.0.0,<3.0.0", "2.2.2", {}, true],
    [">=2.0.0,<3.0.0", "2.0.0", {}, true],
    [">=2.0.0,<3.0.0", "3.0.0", {}, false],
    [">=2.0.0,<3.0.0", "1.9", {}, false],
    [">=2.0.0,<3.0.0", "3.0.0rc1", {}, false],
    [">=2.0.0,<3.0.0", "3.0.0rc1", { prereleases: true }, false],
    [">=2.0.0,<3.0.0", "2.5.0rc1", {}, false],
    [">=2.0.0,<3.0.0", "2.5.0rc1", { prereleases: true }, true],
    [">=2", "3.0rc1", {}, false],
    ["", "1.0", {}, true],
    ["", "1.0rc1", {}, false],
    ["", "1.0rc1", { prereleases: true }, true],
    ["==2.1.*", "2.1.7", {}, true],
    ["==2.1.*", "2.10", {}, false],
    ["!=2.1.*", "2.1.7", {}, false],
    ["!=2.1.*", "2.2", {}, true],
    ["~=2.2", "2.9", {}, true],
    ["~=2.2", "3.0", {}, false],
    ["~=2.2.1", "2.2.5", {}, true],
    ["~=2.2.1", "2.3.0", {}, false],
    [">2.0", "2.0.post1", {}, false],
    ["!=2.1.0", "2.1", {}, false],
    [">=2", "not-a-version", {}, false],
  ])("%j contains %j %j → %s", (spec, version, opts, expected) => {
    expect(specifierContains(spec, version, opts)).toBe(expected);
  });

  it("refuses a specifier outside the grammar", () => {
    expect(thrown(() => specifierContains("===1.0", "1.0")).code).toBe("INVALID_REQUIREMENT");
  });
});

describe("specifierWithin", () => {
  it.each([
    // [inner, outer, within]
    [">=2.0,<3", ">=2.0.0,<3.0.0", true],
    [">=2.5,<2.6", ">=2.0.0,<3.0.0", true],
    ["==2.2.2", ">=2.0.0,<3.0.0", true],
    ["==99", ">=2.0.0,<3.0.0", false],
    ["==1.9", ">=2.0.0,<3.0.0", false],
    ["==3.0", ">=2.0.0,<3.0.0", false],
    [">=2.5", ">=2.0.0,<3.0.0", false],
    ["<2.5", ">=2.0.0,<3.0.0", false],
    ["", ">=2.0.0,<3.0.0", false],
    ["", "", true],
    [">=1", "", true],
    ["==2.*", ">=2.0.0,<3.0.0", true],
    ["==2.1.*", ">=2.0.0,<3.0.0", true],
    ["==3.*", ">=2.0.0,<3.0.0", false],
    ["==2.*", ">=2.0.0,<2.9", false],
    ["~=2.2", ">=2.0.0,<3.0.0", true],
    ["~=2.2", ">=2.0.0,<2.9", false],
    ["~=2.2.1", ">=2.2,<2.3", true],
    ["~=2.2", "~=2.1", true],
    ["~=2.1", "~=2.2", false],
    ["~=2.2.0", "==2.2.*", true],
    ["==2.2.*", "~=2.2.0", true],
    [">2.0,<2.5", ">=2.0,<3", true],
    [">=2.0,<2.5", ">2.0,<3", false],
    ["==2.0.post1", ">2.0", false],
    [">2.0", ">=2.0.1", false],
    ["<=2.9", "<3", true],
    ["<3", "<=3", true],
    ["<=3", "<3", false],
    ["<=3.0rc1", "<3", false],
    ["<3.0", "<3.0.0", true],
    [">=2.0", ">=2", true],
    // pre-releases are versions like any other for containment
    [">=2.0rc1,<3", ">=2.0,<3", false],
    ["==2.5rc1", ">=2.0,<3", true],
    // != in the outer range must be excluded by the inner one or lie outside it
    [">=2.0,<3", ">=2.0,<3,!=2.1.0", false],
    [">=2.0,<3,!=2.1.0", ">=2.0,<3,!=2.1.0", true],
    [">=2.0,<3,!=2.1", ">=2.0,<3,!=2.1.0", true],
    [">=2.2,<3", ">=2.0,<3,!=2.1.0", true],
    ["==2.1.0", ">=2,!=2.1.0", false],
    [">=2.0,<3", ">=2.0,<3,!=2.1.*", false],
    [">=2.2,<3", ">=2.0,<3,!=2.1.*", true],
    [">=2.0,<2.1", ">=2.0,<3,!=2.1.*", true],
    [">=2.0,<3,!=2.1.*", ">=2.0,<3,!=2.1.*", true],
    [">=2.0,<4,!=2.*", ">=2.0,<4,!=2.1.*", true],
    [">=2.0,<3,!=2.*", "", false],
    ["==2.1.5", ">=2,!=2.1.*", false],
    // an inner that matches nothing is never "within"
    [">=3,<2", ">=2.0.0,<3.0.0", false],
    ["==2.0,!=2.0", "", false],
    [">=2.1,<2.1.5,!=2.1.*", "", false],
  ])("%j within %j → %s", (inner, outer, expected) => {
    expect(specifierWithin(inner, outer)).toBe(expected);
  });

  it.each([
    // [inner, outer, without pre-releases, with them]
    ["==2.*", ">=2.0.0,<3.0.0", true, false],
    ["==2.2.*", "~=2.2.0", true, false],
    ["==2.2.*", ">=2.2,<2.3", true, false],
    [">=2.0rc1,<3", ">=2.0rc1,<3", true, true],
    ["==2.5rc1", ">=2.0rc1,<3", true, true],
    ["==2.0rc1", ">=2.0rc2,<3", false, false],
    ["<3", "<3.0.0", true, true],
    [">=2.1,<2.2", ">=2,!=2.1.*", false, false],
  ])("%j within %j: %s without pre-releases, %s with", (inner, outer, without, withPre) => {
    expect(specifierWithin(inner, outer)).toBe(without);
    expect(specifierWithin(inner, outer, { prereleases: true })).toBe(withPre);
  });
});

describe("specifierIsEmpty", () => {
  it.each([
    [">=3,<2", true],
    [">=2,<2", true],
    [">2,<=2", true],
    ["==2.0,!=2.0", true],
    ["==2.0,!=2.*", true],
    [">=2.1,<2.1.5,!=2.1.*", true],
    ["==2.0,==2.1", true],
    [">=2,<3", false],
    [">2.0,<2.0.1", false],
    ["==2.0", false],
    ["", false],
    ["!=2.0", false],
  ])("%j → %s", (spec, expected) => {
    expect(specifierIsEmpty(spec)).toBe(expected);
  });
});

describe("mentionsPrerelease", () => {
  it.each([
    [">=2.0rc1", true],
    ["==2.1.dev3", true],
    ["<3.0a1", true],
    [">=2.0,<3", false],
    [">=2.0.post1", false],
    ["==2.*", false],
    ["", false],
  ])("%j → %s", (spec, expected) => {
    expect(mentionsPrerelease(spec)).toBe(expected);
  });
});

describe("intersectSpecifiers", () => {
  it.each([
    ["", ">=2.0.0,<3.0.0", ">=2.0.0,<3.0.0"],
    [">=2.5", "", ">=2.5"],
    [">=2.5", ">=2.0.0,<3.0.0", ">=2.5,<3.0.0"],
    [">=2.0", ">=2.0.0,<3.0.0", ">=2.0,<3.0.0"],
    ["==2.2.2", "==2.2.2", "==2.2.2"],
    ["", "", ""],
    // No clause another one implies (issue 14.1: no more 'numpy>=1.20,>=1.24.0,<2.0.0').
    [">=1.20", ">=1.24.0,<2.0.0", ">=1.24.0,<2.0.0"],
    [">=2.32", ">=2.28,<3", ">=2.32,<3"],
    ["==2.*", ">=2.0.0,<3.0.0", "==2.*"],
    ["~=2.2", ">=2.0.0,<3.0.0", "~=2.2"],
    ["!=2.1.0", ">=2.5,<3", ">=2.5,<3"],
    ["!=2.6.0", ">=2.5,<3", "!=2.6.0,>=2.5,<3"],
    ["==0.4.31rc1", ">=0.4.30rc1,<0.5", "==0.4.31rc1"],
    // The clause that makes pre-releases eligible stays: without it the set would lose 2.1rc1.
    [">=2.1rc1", ">=2.0,<3", ">=2.1rc1,<3"],
    [">=3", "<2", ">=3,<2"],
  ])("%j ∩ %j → %j", (a, b, expected) => {
    expect(intersectSpecifiers(a, b)).toBe(expected);
  });
});
