import { describe, expect, it } from "vitest";
import { readPep723 } from "../../../src/skills/pep723.js";

const read = (text: string) => readPep723(text, "scripts/run.py");
const reqs = (text: string) => read(text).declared.map((d) => [d.requirement, d.line, d.conditional ?? false]);
const rules = (text: string) => read(text).findings.map((f) => [f.ruleId, f.line]);

const block = (...lines: string[]) => ["# /// script", ...lines.map((l) => (l === "" ? "#" : `# ${l}`)), "# ///"];

describe("PEP 723 script metadata", () => {
  it("reads the dependencies of a script block, with file lines", () => {
    const text = [
      "#!/usr/bin/env -S uv run --script",
      ...block('requires-python = ">=3.11"', "dependencies = [", '  "tinycalc>=1,<2",', '  "pyyaml==6.0.2",', "]"),
      "import tinycalc",
    ].join("\n");
    expect(reqs(text)).toEqual([
      ["tinycalc>=1,<2", 5, false],
      ["pyyaml==6.0.2", 6, false],
    ]);
    expect(read(text).findings).toEqual([]);
    expect(read(text).declared[0]!.file).toBe("scripts/run.py");
  });

  it("files without a block, and blocks of other types, declare nothing", () => {
    expect(read("import os\nprint('# /// script')\n")).toEqual({ declared: [], findings: [] });
    expect(read(["# /// pyproject", "# dependencies = ['evil']", "# ///"].join("\n"))).toEqual({
      declared: [],
      findings: [],
    });
  });

  it("reads a block inside a string, as uv does", () => {
    // PEP 723 is line-based: `uv run` reads this block and installs from it, so it must be vetted.
    const text = ['DOC = """', ...block('dependencies = ["hidden"]'), '"""'].join("\n");
    expect(reqs(text)).toEqual([["hidden", 3, false]]);
  });

  it("reads a block with trailing blanks on its markers (uv refuses it; vetting it anyway is safe)", () => {
    expect(reqs(["# /// script  ", '# dependencies = ["a"]', "# ///  "].join("\n"))).toEqual([["a", 2, false]]);
  });

  it("an unterminated block, two blocks, or TOML that does not parse is a finding", () => {
    expect(rules(["# /// script", '# dependencies = ["a"]', "import os"].join("\n"))).toEqual([
      ["package-guard.script-metadata", 1],
    ]);
    // A tab after '#' ends the block as uv reads it: unterminated.
    expect(rules(["# /// script", '#\tdependencies = ["a"]', "# ///"].join("\n"))).toEqual([
      ["package-guard.script-metadata", 1],
    ]);
    const two = [...block('dependencies = ["a"]'), "x = 1", ...block('dependencies = ["b"]')].join("\n");
    expect(rules(two)).toEqual([["package-guard.script-metadata", 5]]);
    expect(rules(block("dependencies = [").join("\n"))).toEqual([["package-guard.toml-invalid", 2]]);
    // Back to back, the last closer ends the block (the PEP's greedy regex, and uv): its middle is not TOML.
    const adjacent = [...block('dependencies = ["a"]'), ...block('dependencies = ["b"]')].join("\n");
    expect(rules(adjacent)).toEqual([["package-guard.toml-invalid", 3]]);
  });

  it("refuses malformed dependency lists and entries", () => {
    expect(rules(block('dependencies = "pandas"').join("\n"))).toEqual([["package-guard.dependency-malformed", 1]]);
    expect(rules(block("dependencies = [1]").join("\n"))).toEqual([["package-guard.dependency-malformed", 1]]);
  });

  it("uv settings that change where packages come from are findings; uv's extra requirement lists are vetted", () => {
    const text = block(
      'dependencies = ["a"]',
      "[tool.uv]",
      'extra-index-url = ["https://evil.example/simple"]',
      'override-dependencies = ["b==1"]',
      "[tool.uv.sources]",
      'a = { git = "https://evil.example/a.git" }',
    ).join("\n");
    expect(read(text).findings.map((f) => f.message)).toEqual([
      "scripts/run.py script metadata sets tool.uv.extra-index-url: packages would come from a source other than " +
        "the operator's index; remove it",
      "scripts/run.py script metadata sets tool.uv.sources: packages would come from a source other than the " +
        "operator's index; remove it",
    ]);
    expect(reqs(text).map((r) => r[0])).toEqual(["a", "b==1"]);
  });

  it("stays linear on a huge comment run (no regex backtracking)", () => {
    const text = ["# /// script", ...Array.from({ length: 50_000 }, () => "# x = 1"), "print()"].join("\n");
    expect(rules(text)).toEqual([["package-guard.script-metadata", 1]]);
  });
});
