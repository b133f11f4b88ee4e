import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { startOsvServer } from "../helpers/osv-server.js";

const source = (path: string): Promise<string> => readFile(new URL(path, import.meta.url), "utf8");

/*
 * An oracle that calls the code under test agrees with it by construction and can never catch its mistakes. These
 * guard that the test doubles and expectations stay independent of what they judge.
 */
describe("test oracles are independent of the code under test", () => {
  it("the loopback OSV server does not use the product's advisory matcher", async () => {
    const text = await source("../helpers/osv-server.ts");
    expect(text).not.toMatch(/from "[./]*src\/scan\//);
    expect(text).not.toMatch(/from "[./]*src\/policy\//);
  });

  it("the fake vetter does not use the product's overallDecision", async () => {
    expect(await source("./skills/fake-vetter.ts")).not.toMatch(/overallDecision/);
  });

  it("decide tests build no expectation with parseRequirement", async () => {
    const lines = (await source("./policy/decide.test.ts")).split("\n");
    const inExpect = lines.filter(
      (l) => /parseRequirement/.test(l) && /expect|toEqual|toBe|package:|requested:/.test(l),
    );
    expect(inExpect).toEqual([]);
  });

  it("the OSV server's own rules: PEP 503 names, versions lists, ECOSYSTEM ranges, withdrawn records", async () => {
    const server = await startOsvServer([
      {
        id: "A",
        affected: [
          {
            package: { name: "Tiny_Calc", ecosystem: "PyPI" },
            ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "1.1" }, { fixed: "1.10" }] }],
          },
        ],
      },
      { id: "B", affected: [{ package: { name: "tiny-calc", ecosystem: "PyPI" }, versions: ["2.0.0"] }] },
      {
        id: "W",
        withdrawn: "2024-01-01T00:00:00Z",
        affected: [{ package: { name: "tinycalc", ecosystem: "PyPI" }, versions: ["1.2"] }],
      },
      { id: "N", affected: [{ package: { name: "tinycalc", ecosystem: "npm" }, versions: ["1.2"] }] },
      {
        id: "P",
        affected: [
          {
            package: { name: "tiny-calc", ecosystem: "PyPI" },
            ranges: [
              { type: "GIT", events: [{ introduced: "0" }, { fixed: "c45d7c49ea75" }] },
              { type: "ECOSYSTEM", events: [{ introduced: "3.0a1" }, { fixed: "3.0rc2" }] },
            ],
          },
        ],
      },
    ]);
    const ask = async (version: string): Promise<string[]> => {
      const response = await fetch(server.url, {
        method: "POST",
        body: JSON.stringify({ package: { name: "tiny.calc", ecosystem: "PyPI" }, version }),
      });
      return (((await response.json()) as { vulns?: { id: string }[] }).vulns ?? []).map((v) => v.id);
    };
    try {
      expect(await ask("1.0")).toEqual([]);
      expect(await ask("1.2")).toEqual(["A"]);
      expect(await ask("1.9.9")).toEqual(["A"]);
      expect(await ask("1.10")).toEqual([]);
      expect(await ask("2.0.0")).toEqual(["B"]);
      expect(await ask("3.0b1")).toEqual(["P"]);
      expect(await ask("3.0rc2")).toEqual([]);
      expect(await ask("3.0")).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
