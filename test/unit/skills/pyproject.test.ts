import { describe, expect, it } from "vitest";
import { readPyproject } from "../../../src/skills/pyproject.js";

const read = (text: string) => readPyproject(text, "pyproject.toml");
const reqs = (text: string) => read(text).declared.map((d) => [d.requirement, d.line, d.conditional ?? false]);
const rules = (text: string) => read(text).findings.map((f) => f.ruleId);

describe("pyproject.toml", () => {
  it("reads project dependencies, optional dependencies and dependency groups, with lines", () => {
    const text = [
      "[project]",
      'name = "skill"',
      "dependencies = [",
      '  "pandas>=2,<3",',
      "  \"tomli>=1.1; python_version < '3.11'\",",
      "]",
      "[project.optional-dependencies]",
      'plots = ["matplotlib>=3"]',
      "[dependency-groups]",
      'test = ["pytest>=8", {include-group = "lint"}]',
      'lint = ["ruff"]',
    ].join("\n");
    expect(reqs(text)).toEqual([
      ["pandas>=2,<3", 4, false],
      ["tomli>=1.1", 5, true],
      ["matplotlib>=3", 8, false],
      ["pytest>=8", 10, false],
      ["ruff", 11, false],
    ]);
    expect(read(text).findings).toEqual([]);
  });

  it("a file without dependencies declares nothing", () => {
    expect(read('[build-system]\nrequires = ["hatchling"]\n')).toEqual({ declared: [], findings: [] });
  });

  it("TOML that does not parse, with its line, is a finding, not a pass", () => {
    const bad = read('[project]\ndependencies = ["a"\n');
    expect(bad.findings.map((f) => [f.ruleId, f.severity, f.file])).toEqual([
      ["package-guard.toml-invalid", "critical", "pyproject.toml"],
    ]);
    expect(bad.declared).toEqual([]);
    expect(rules("[project]\n[project]\n")).toEqual(["package-guard.toml-invalid"]);
    expect(rules('__proto__ = { dependencies = ["x"] }\n')).toEqual(["package-guard.toml-invalid"]);
  });

  it("refuses a parser bomb of nested inline arrays", () => {
    const bomb = `[project]\ndependencies = ${"[".repeat(5000)}${"]".repeat(5000)}\n`;
    expect(rules(bomb)).toEqual(["package-guard.toml-invalid"]);
  });

  it("dynamic dependencies cannot be vetted: a finding", () => {
    expect(rules('[project]\nname = "x"\ndynamic = ["dependencies", "version"]\n')).toEqual([
      "package-guard.dynamic-dependencies",
    ]);
  });

  it("malformed tables and lists are findings", () => {
    expect(rules('[project]\ndependencies = "pandas"\n')).toEqual(["package-guard.dependency-malformed"]);
    expect(rules('project = "x"\n')).toEqual(["package-guard.dependency-malformed"]);
    expect(rules("[project]\noptional-dependencies = 3\n")).toEqual(["package-guard.dependency-malformed"]);
    expect(rules('[dependency-groups]\na = [{include-group = "missing"}]\n')).toEqual([
      "package-guard.dependency-malformed",
    ]);
    expect(rules('[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "a"}]\n')).toEqual([
      "package-guard.dependency-malformed",
    ]);
  });

  it("uv source settings are findings; uv and PDM requirement lists are vetted; Poetry tables are refused", () => {
    const text = [
      "[project]",
      'dependencies = ["a"]',
      "[[tool.uv.index]]",
      'url = "https://evil.example/simple"',
      "[tool.uv]",
      'dev-dependencies = ["b"]',
      "[tool.pdm.dev-dependencies]",
      'test = ["c"]',
    ].join("\n");
    expect(read(text).findings.map((f) => [f.ruleId, f.line])).toEqual([["package-guard.package-source", 3]]);
    expect(reqs(text).map((r) => r[0])).toEqual(["a", "b", "c"]);
    expect(rules('[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "^2.31"\n')).toEqual([
      "package-guard.unsupported-format",
    ]);
    expect(rules('[tool.poetry.dependencies]\npython = "^3.11"\n')).toEqual([]);
  });
});
