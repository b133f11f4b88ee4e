import { describe, expect, it } from "vitest";
import type { TiersInput } from "../../../src/config.js";
import { Whitelist, loadDefaultLayer, type WhitelistLayer } from "../../../src/policy/whitelist.js";
import { thrown } from "./helpers.js";

const layer = (source: string, tiers: TiersInput, removed?: string[]): WhitelistLayer =>
  removed ? { source, tiers, removed } : { source, tiers };

describe("the shipped default (the seed's list)", () => {
  const w = Whitelist.fromLayers([loadDefaultLayer()]);

  it("has the seed's packages in the seed's tiers", () => {
    expect(w.names()).toEqual([
      "beautifulsoup4",
      "numpy",
      "pandas",
      "requests",
      "scikit-learn",
      "torch",
      "transformers",
    ]);
    expect(Object.fromEntries(w.names().map((n) => [n, w.approvedAt(n)]))).toEqual({
      pandas: "student",
      numpy: "student",
      requests: "intern",
      beautifulsoup4: "intern",
      "scikit-learn": "supervised",
      torch: "autonomous",
      transformers: "autonomous",
    });
  });

  it.each([
    ["student", ["numpy", "pandas"]],
    ["intern", ["beautifulsoup4", "numpy", "pandas", "requests"]],
    ["supervised", ["beautifulsoup4", "numpy", "pandas", "requests", "scikit-learn"]],
    ["autonomous", ["beautifulsoup4", "numpy", "pandas", "requests", "scikit-learn", "torch", "transformers"]],
  ] as const)("%s sees its tier and every tier below", (maturity, names) => {
    expect(w.visibleAt(maturity).map((e) => e.package)).toEqual(names);
  });

  it("keeps the seed's fields", () => {
    expect(w.lookup("pandas", "student")).toEqual({
      package: "pandas",
      ecosystem: "PyPI",
      displayName: "pandas",
      version: ">=2.0.0,<3.0.0",
      maturity: "student",
      max_memory_mb: 512,
      network_access: false,
      requires_approval: false,
      description: "",
      category: "data-science",
      extras: [],
      source: expect.stringMatching(/config\/package_whitelist_default\.yaml$/),
    });
    expect(w.lookup("torch", "autonomous")).toMatchObject({
      version: ">=2.0.0",
      requires_approval: true,
      max_memory_mb: 2048,
      category: "ml",
    });
    expect(w.lookup("requests", "intern")).toMatchObject({ network_access: true, max_memory_mb: 256, category: "web" });
  });

  it("looks names up by their PEP 503 form only", () => {
    expect(w.lookup("Scikit_Learn", "supervised")?.package).toBe("scikit-learn");
    expect(w.lookup("PANDAS", "student")?.package).toBe("pandas");
    expect(w.lookup("pan_das", "student")).toBeUndefined();
    expect(w.lookup("раndas", "autonomous")).toBeUndefined();
    expect(w.lookup("__proto__", "autonomous")).toBeUndefined();
    expect(w.lookup("constructor", "autonomous")).toBeUndefined();
    expect(w.approvedAt("toString")).toBeUndefined();
  });

  it("does not share state between loads", () => {
    const a = loadDefaultLayer();
    a.tiers.student = [];
    expect(loadDefaultLayer().tiers.student).toHaveLength(2);
  });
});

describe("tiers within one layer", () => {
  const w = Whitelist.fromLayers([
    layer("l", {
      student: [{ package: "pandas", version: ">=2.0,<2.1" }],
      supervised: [{ package: "pandas", version: ">=2.0,<3", max_memory_mb: 1024 }],
    }),
  ]);

  it("a maturity gets the highest tier at or below it that declares the package", () => {
    expect(w.lookup("pandas", "student")?.version).toBe(">=2.0,<2.1");
    expect(w.lookup("pandas", "intern")?.version).toBe(">=2.0,<2.1");
    expect(w.lookup("pandas", "supervised")).toMatchObject({
      version: ">=2.0,<3",
      maturity: "supervised",
      max_memory_mb: 1024,
    });
    expect(w.lookup("pandas", "autonomous")?.maturity).toBe("supervised");
    expect(w.approvedAt("pandas")).toBe("student");
  });
});

describe("layers", () => {
  const base = layer("default", {
    student: [{ package: "pandas", version: ">=2,<3" }, { package: "numpy" }],
    intern: [{ package: "requests" }],
  });

  it("a later layer replaces every earlier declaration of a package it declares", () => {
    const w = Whitelist.fromLayers([base, layer("file", { supervised: [{ package: "Pandas", version: ">=2.2,<3" }] })]);
    expect(w.lookup("pandas", "student")).toBeUndefined();
    expect(w.lookup("pandas", "intern")).toBeUndefined();
    expect(w.lookup("pandas", "supervised")).toMatchObject({
      version: ">=2.2,<3",
      source: "file",
      displayName: "Pandas",
    });
    expect(w.approvedAt("pandas")).toBe("supervised");
    expect(w.lookup("numpy", "student")?.source).toBe("default");
  });

  it("removed drops a package from earlier layers; the same layer's own declaration still stands", () => {
    const w = Whitelist.fromLayers([base, layer("overlay", { intern: [{ package: "numpy" }] }, ["Numpy", "requests"])]);
    expect(w.names()).toEqual(["numpy", "pandas"]);
    expect(w.lookup("numpy", "student")).toBeUndefined();
    expect(w.lookup("numpy", "intern")?.source).toBe("overlay");
    expect(w.lookup("requests", "autonomous")).toBeUndefined();
  });

  it("order matters: default < file < config < overlay", () => {
    const layers = [
      base,
      layer("file", { student: [{ package: "pandas", version: "==2.0" }] }),
      layer("config", { student: [{ package: "pandas", version: "==2.1" }] }),
      layer("overlay", { student: [{ package: "pandas", version: "==2.2" }] }),
    ];
    expect(Whitelist.fromLayers(layers).lookup("pandas", "student")?.source).toBe("overlay");
    expect(Whitelist.fromLayers(layers.slice(0, 3)).lookup("pandas", "student")?.version).toBe("==2.1");
    expect(
      Whitelist.fromLayers([...layers.slice(0, 3), layer("overlay", {}, ["pandas"])]).lookup("pandas", "autonomous"),
    ).toBeUndefined();
  });

  it("a removed package comes back when a later layer declares it again", () => {
    const w = Whitelist.fromLayers([base, layer("a", {}, ["pandas"]), layer("b", { intern: [{ package: "pandas" }] })]);
    expect(w.lookup("pandas", "intern")?.source).toBe("b");
  });

  it("an entry's fields are normalized and defaulted", () => {
    const w = Whitelist.fromLayers([
      layer("l", { student: [{ package: "Foo_Bar", version: " >= 1.0 , < 2 ", extras: ["B", "a_x", "b"] }] }),
    ]);
    expect(w.lookup("foo-bar", "student")).toEqual({
      package: "foo-bar",
      ecosystem: "PyPI",
      displayName: "Foo_Bar",
      version: ">=1.0,<2",
      maturity: "student",
      max_memory_mb: null,
      network_access: false,
      requires_approval: false,
      description: "",
      category: null,
      extras: ["a-x", "b"],
      source: "l",
    });
  });

  it.each([
    [{ student: [{ package: "pan das" }] }, "l: tiers.student[0].package: 'pan das' is not a valid package name"],
    [
      { intern: [{ package: "a" }, { package: "b", version: "===1" }] },
      "l: tiers.intern[1].version: Arbitrary equality",
    ],
    [{ student: [{ package: "a", extras: ["-x"] }] }, "l: tiers.student[0].extras[0]: '-x' is not a valid extra name"],
    [
      { student: [{ package: "a" }, { package: "A" }] },
      "l: tiers.student[1].package: 'a' is declared twice in tier student",
    ],
    [{ root: [] }, "l: tiers: unknown key(s): root"],
  ])("validates layers built in code too: %j", (tiers, message) => {
    const e = thrown(() => Whitelist.fromLayers([layer("l", tiers as TiersInput)]));
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.message.startsWith(message)).toBe(true);
  });
});
