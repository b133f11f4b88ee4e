import { describe, expect, it } from "vitest";
import { levelsUpTo, maturityRank, resolveMaturity } from "../../../src/policy/maturity.js";
import { thrown } from "./helpers.js";

describe("maturity", () => {
  it("each level sees the ones below it", () => {
    expect(levelsUpTo("student")).toEqual(["student"]);
    expect(levelsUpTo("intern")).toEqual(["student", "intern"]);
    expect(levelsUpTo("supervised")).toEqual(["student", "intern", "supervised"]);
    expect(levelsUpTo("autonomous")).toEqual(["student", "intern", "supervised", "autonomous"]);
  });

  it("ranks student < intern < supervised < autonomous", () => {
    expect([
      maturityRank("student"),
      maturityRank("intern"),
      maturityRank("supervised"),
      maturityRank("autonomous"),
    ]).toEqual([0, 1, 2, 3]);
  });

  const config = {
    defaultMaturity: "student" as const,
    agents: { main: "supervised" as const, research: "autonomous" as const },
  };

  it.each([
    ["main", "supervised"],
    ["research", "autonomous"],
    ["unknown", "student"],
    [undefined, "student"],
    ["", "student"],
    ["__proto__", "student"],
    ["constructor", "student"],
    ["toString", "student"],
    ["hasOwnProperty", "student"],
    ["Main", "student"],
  ])("agent %j → %s", (agentId, expected) => {
    expect(resolveMaturity(config, agentId)).toBe(expected);
  });

  it("uses the configured default for unlisted agents", () => {
    expect(resolveMaturity({ defaultMaturity: "intern", agents: {} }, "x")).toBe("intern");
  });

  it("an agents map with a null prototype works too", () => {
    const agents = Object.assign(Object.create(null) as Record<string, "autonomous">, { a: "autonomous" as const });
    expect(resolveMaturity({ defaultMaturity: "student", agents }, "a")).toBe("autonomous");
  });

  it("fails closed on a level the schema should have refused", () => {
    const e = thrown(() => resolveMaturity({ defaultMaturity: "student", agents: { a: "root" as "student" } }, "a"));
    expect(e.code).toBe("CONFIG_INVALID");
  });
});
