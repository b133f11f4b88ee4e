import { describe, expect, it } from "vitest";
import { readRequirementsTxt } from "../../../src/skills/requirements-txt.js";

const read = (text: string) => readRequirementsTxt(text, "requirements.txt");
const reqs = (text: string) => read(text).declared.map((d) => [d.requirement, d.line, d.conditional ?? false]);
const rules = (text: string) => read(text).findings.map((f) => [f.ruleId, f.line]);

describe("requirements files", () => {
  it("reads requirements with their lines, skipping comments and blank lines", () => {
    const text = "# tools\npandas>=2,<3\n\n  pyyaml == 6.0.2   # pinned\nrequests[socks]\n";
    expect(reqs(text)).toEqual([
      ["pandas>=2,<3", 2, false],
      ["pyyaml == 6.0.2", 4, false],
      ["requests[socks]", 5, false],
    ]);
    expect(read(text).findings).toEqual([]);
    expect(read(text).declared[0]!.file).toBe("requirements.txt");
  });

  it("joins continued lines and reports the first line; accepts hashes and does not use them", () => {
    const hash = "a".repeat(64);
    const text = `pyyaml==6.0.2 \\\n    --hash=sha256:${hash} \\\n    --hash sha256:${hash}\ntinycalc\n`;
    expect(reqs(text)).toEqual([
      ["pyyaml==6.0.2", 1, false],
      ["tinycalc", 4, false],
    ]);
    expect(read(text).findings).toEqual([]);
  });

  it("refuses every option line: includes, constraints, editables and index settings are not followed", () => {
    const text = [
      "-r other.txt",
      "--requirement=more.txt",
      "-c constraints.txt",
      "-e .",
      "--index-url https://evil.example/simple",
      "--extra-index-url https://evil.example/simple",
      "-i https://evil.example/simple",
      "--find-links ./wheels",
      "--trusted-host evil.example",
      "--no-binary :all:",
      "pandas",
    ].join("\n");
    expect(rules(text)).toEqual(Array.from({ length: 10 }, (_, i) => ["package-guard.requirements-option", i + 1]));
    expect(reqs(text)).toEqual([["pandas", 11, false]]);
    expect(read(text).findings[0]!.message).toContain("'-r other.txt' is an installer option");
  });

  it("refuses options after a requirement other than --hash, and malformed hashes", () => {
    expect(rules("pandas --index-url https://evil.example/simple\n")).toEqual([
      ["package-guard.requirements-option", 1],
    ]);
    expect(rules("pandas --global-option=--evil\n")).toEqual([["package-guard.requirements-option", 1]]);
    expect(rules("pandas --hash=md5:abc\n")).toEqual([["package-guard.requirements-option", 1]]);
    expect(rules("pandas --hash\n")).toEqual([["package-guard.requirements-option", 1]]);
    expect(reqs("pandas --index-url x\n")).toEqual([]);
  });

  it("passes URLs, paths and variables on as written, for the strict grammar to refuse", () => {
    // The reader does not judge requirements: the service's grammar does, for every door alike.
    expect(reqs("pkg @ https://evil.example/pkg.whl\n./local.whl\npandas==${VERSION}\n")).toEqual([
      ["pkg @ https://evil.example/pkg.whl", 1, false],
      ["./local.whl", 2, false],
      ["pandas==${VERSION}", 3, false],
    ]);
  });

  it("cuts an environment marker off and marks the requirement conditional", () => {
    expect(reqs('tomli>=1.1 ; python_version < "3.11"\ncolorama; sys_platform == "win32"\n')).toEqual([
      ["tomli>=1.1", 1, true],
      ["colorama", 2, true],
    ]);
  });

  it("a comment line ending in a backslash does not swallow the next line", () => {
    // pip would join `pandas  # note \` with the next line and then drop both as a comment; reading `evil` on its
    // own vets more, never less.
    expect(reqs("# note \\\nevil\npandas  # note \\\nalso-evil\n")).toEqual([
      ["evil", 2, false],
      ["pandas", 3, false],
      ["also-evil", 4, false],
    ]);
  });

  it("a requirement that is only a marker is a finding", () => {
    expect(rules('; python_version < "3"\n')).toEqual([["package-guard.dependency-malformed", 1]]);
  });
});
