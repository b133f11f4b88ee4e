import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseWhitelistYaml, serializeWhitelistYaml } from "../../../src/policy/whitelist.js";
import { thrown } from "./helpers.js";

const SEED = readFileSync(new URL("../../../config/package_whitelist_default.yaml", import.meta.url), "utf8");

describe("parseWhitelistYaml", () => {
  it("reads the seed's file as it is", () => {
    const layer = parseWhitelistYaml(SEED, "seed.yaml");
    expect(layer.source).toBe("seed.yaml");
    expect(layer.tiers.student?.map((e) => e.package)).toEqual(["pandas", "numpy"]);
    expect(layer.tiers.autonomous?.[1]).toEqual({
      package: "transformers",
      version: ">=4.35.0",
      max_memory_mb: 2048,
      network_access: false,
      requires_approval: true,
      category: "ml",
    });
    expect(layer.removed).toBeUndefined();
  });

  it("reads extras and removed", () => {
    const layer = parseWhitelistYaml(
      "tiers:\n  intern:\n    - package: requests\n      extras: [socks]\nremoved: [numpy, Scikit_Learn]\n",
      "o",
    );
    expect(layer.tiers.intern).toEqual([{ package: "requests", extras: ["socks"] }]);
    expect(layer.removed).toEqual(["numpy", "scikit-learn"]);
  });

  it("an empty file, or an empty tier, is an empty layer", () => {
    expect(parseWhitelistYaml("", "e")).toEqual({ source: "e", tiers: {} });
    expect(parseWhitelistYaml("# nothing\n", "e")).toEqual({ source: "e", tiers: {} });
    expect(parseWhitelistYaml("tiers:\n  student:\n", "e")).toEqual({ source: "e", tiers: { student: [] } });
  });

  it.each([
    ["tiers: [", "f: not valid YAML"],
    ["tiers: {}\n---\ntiers: {}\n", "f: not valid YAML"],
    ["- a\n- b\n", "f: expected a mapping with a 'tiers' key"],
    ["tier:\n  student: []\n", "f: unknown top-level key(s): tier"],
    ["tiers: [a]\n", "f: tiers: expected a mapping"],
    ["tiers:\n  root: []\n", "f: tiers: unknown key(s): root"],
    ["tiers:\n  __proto__: []\n", "f: tiers: unknown key(s): __proto__"],
    ["tiers:\n  student:\n    - package: pandas\n      version: 2.0\n", "f: tiers.student[0].version:"],
    [
      "tiers:\n  student:\n    - package: a\n    - package: b\n    - package: c\n      version: '>=2.*'\n",
      "f: tiers.student[2].version: Wildcard",
    ],
    ["tiers:\n  student:\n    - package: pandas\n      max_memory_mb: -1\n", "f: tiers.student[0].max_memory_mb:"],
    ["tiers:\n  student:\n    - package: pandas\n      shell: rm\n", "f: tiers.student[0]: unknown key(s): shell"],
    ["tiers:\n  student:\n    - version: '>=1'\n", "f: tiers.student[0]:"],
    [
      "tiers:\n  student:\n    - package: ｐａｎｄａｓ\n",
      "f: tiers.student[0].package: 'ｐａｎｄａｓ' is not a valid package name",
    ],
    [
      "tiers:\n  student:\n    - package: pandas\n    - package: Pandas\n",
      "f: tiers.student[1].package: 'pandas' is declared twice",
    ],
    ["tiers: {}\nremoved: pandas\n", "f: removed: must be a list"],
    ["tiers: {}\nremoved: [pan das]\n", "f: removed[0]:"],
    [
      "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d " +
        "[*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
      "f: not valid YAML",
    ],
    ["tiers: {}\ntiers: {}\n", "f: not valid YAML"],
  ])("refuses %j", (text, prefix) => {
    const e = thrown(() => parseWhitelistYaml(text, "f"));
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.message.startsWith(prefix), e.message).toBe(true);
  });
});

describe("serializeWhitelistYaml", () => {
  it("round-trips the seed file", () => {
    const layer = parseWhitelistYaml(SEED, "seed");
    const text = serializeWhitelistYaml(layer);
    expect(parseWhitelistYaml(text, "seed")).toEqual(layer);
    expect(text).toContain('version: ">=2.0.0,<3.0.0"');
    expect(text.indexOf("student:")).toBeLessThan(text.indexOf("autonomous:"));
  });

  it("round-trips extras and removed, with the seed's field order", () => {
    const layer = {
      source: "o",
      tiers: {
        supervised: [
          { category: "io", extras: ["x"], package: "openpyxl", version: ">=3.1.0,<4.0.0", max_memory_mb: 256 },
        ],
      },
      removed: ["numpy"],
    };
    const text = serializeWhitelistYaml(layer);
    expect(parseWhitelistYaml(text, "o")).toEqual(layer);
    expect(text.indexOf("package:")).toBeLessThan(text.indexOf("version:"));
    expect(text.indexOf("version:")).toBeLessThan(text.indexOf("max_memory_mb:"));
    expect(text.indexOf("category:")).toBeLessThan(text.indexOf("extras:"));
  });
});
