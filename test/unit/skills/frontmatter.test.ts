import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSkillDependencies, skillDependenciesFromText } from "../../../src/skills/frontmatter.js";
import { MAX_DEPENDENCIES } from "../../../src/skills/python-deps.js";
import { MAX_SKILL_MD_BYTES } from "../../../src/skills/skill-file.js";

const md = (frontmatter: string, body = "# Skill\n\nDoes things.\n") => `---\n${frontmatter}\n---\n${body}`;
const rules = (text: string) => skillDependenciesFromText(text).findings.map((f) => [f.ruleId, f.severity]);

describe("SKILL.md frontmatter: the seed's dependencies.python", () => {
  it("turns {package, version} entries into requirement texts, with their SKILL.md lines", () => {
    const deps = skillDependenciesFromText(
      md(`name: data-visualization
description: Visualizes CSV data with charts
dependencies:
  python:
    - package: pandas
      version: ">=2.0.0"
    - package: matplotlib
      version: ">=3.7.0,<4"`),
    );
    expect(deps).toEqual({
      name: "data-visualization",
      requirements: ["pandas>=2.0.0", "matplotlib>=3.7.0,<4"],
      lines: [6, 8],
      findings: [],
    });
  });

  it("reads a bare version as ==, a missing or '*' version as any, and plain strings as requirements", () => {
    const deps = skillDependenciesFromText(
      md(`dependencies:
  python:
    - package: pandas
      version: "2.2.3"
    - package: numpy
    - package: pyyaml
      version: "*"
    - "requests>=2,<3"
    - package: numpy`),
    );
    expect(deps.requirements).toEqual(["pandas==2.2.3", "numpy", "pyyaml", "requests>=2,<3"]);
    expect(deps.findings).toEqual([]);
  });

  it("never lets package and version run together into another name", () => {
    const deps = skillDependenciesFromText(
      md(`dependencies:\n  python:\n    - package: pan\n      version: "das>=2"\n    - package: "pandas>=2"`),
    );
    expect(deps.requirements).toEqual([]);
    expect(deps.findings.map((f) => [f.ruleId, f.severity, f.line])).toEqual([
      ["package-guard.dependency-malformed", "critical", 4],
      ["package-guard.dependency-malformed", "critical", 6],
    ]);
    expect(deps.findings[1]!.message).toContain("plain package name");
  });

  it("refuses an unquoted numeric version (YAML would read 2.10 as 2.1)", () => {
    const deps = skillDependenciesFromText(md(`dependencies:\n  python:\n    - package: pandas\n      version: 2.10`));
    expect(deps.requirements).toEqual([]);
    expect(deps.findings[0]!.message).toContain("quoted string");
  });

  it("reports malformed shapes as critical findings instead of throwing", () => {
    expect(rules(md("dependencies: [pandas]"))).toEqual([["package-guard.dependency-malformed", "critical"]]);
    expect(rules(md("dependencies:\n  python: pandas"))).toEqual([["package-guard.dependency-malformed", "critical"]]);
    expect(rules(md("dependencies:\n  python:\n    - 42\n    - {version: '>=1'}"))).toEqual([
      ["package-guard.dependency-malformed", "critical"],
      ["package-guard.dependency-malformed", "critical"],
    ]);
  });
});

// One line, as in OpenClaw's docs: the metadata is a JSON5 object on a single frontmatter line.
const METADATA_LINE = [
  `metadata: { "openclaw": { "requires": { "bins": ["uv"] }, "install": [ `,
  `{ "id": "uv", "kind": "uv", "package": "mytool==1.2", "bins": ["mytool"] }, `,
  `{ "id": "brew", "kind": "brew", "formula": "jq" }, { "type": "UV", "package": "tinycalc>=1" } ] } }`,
].join("");

describe("SKILL.md frontmatter: metadata.openclaw.install uv entries", () => {
  it("reads the JSON5 metadata line of the OpenClaw docs; only uv installers count", () => {
    const deps = skillDependenciesFromText(
      md(`name: my-skill
description: demo
${METADATA_LINE}`),
    );
    expect(deps.requirements).toEqual(["mytool==1.2", "tinycalc>=1"]);
    expect(deps.lines).toEqual([4, 4]);
    expect(deps.findings).toEqual([]);
  });

  it("reads metadata as a quoted JSON5 string (comments, trailing commas) and as a YAML block", () => {
    const quoted = skillDependenciesFromText(
      md(`metadata: '{ openclaw: { install: [ { kind: "uv", package: "pyyaml>=6", }, ], }, }'`),
    );
    expect(quoted.requirements).toEqual(["pyyaml>=6"]);
    const block = skillDependenciesFromText(
      md(`metadata:\n  openclaw:\n    install:\n      - kind: uv\n        package: datakit`),
    );
    expect(block.requirements).toEqual(["datakit"]);
  });

  it("reads the legacy clawdbot key too, and merges both sources without duplicates", () => {
    const deps = skillDependenciesFromText(
      md(
        `dependencies:\n  python:\n    - package: pyyaml\nmetadata: { "clawdbot": { "install": [ { "kind": "uv", ` +
          `"package": "pyyaml" }, { "kind": "uv", "package": "numpy" } ] } }`,
      ),
    );
    expect(deps.requirements).toEqual(["pyyaml", "numpy"]);
  });

  it("a uv installer without a package, a non-list install or unreadable JSON5 blocks", () => {
    expect(rules(md(`metadata: { "openclaw": { "install": [ { "kind": "uv", "bins": ["x"] } ] } }`))).toEqual([
      ["package-guard.dependency-malformed", "critical"],
    ]);
    expect(rules(md(`metadata: { "openclaw": { "install": { "kind": "uv" } } }`))).toEqual([
      ["package-guard.dependency-malformed", "critical"],
    ]);
    expect(rules(md(`metadata: "{ openclaw: { install: [ "`))).toEqual([["package-guard.metadata-json5", "critical"]]);
  });
});

describe("SKILL.md frontmatter: what cannot be read", () => {
  it("no frontmatter, an empty one, or one without Python dependencies declares nothing", () => {
    expect(skillDependenciesFromText("# Just markdown\n")).toEqual({
      name: null,
      requirements: [],
      lines: [],
      findings: [],
    });
    expect(skillDependenciesFromText("---\n---\nbody")).toEqual({
      name: null,
      requirements: [],
      lines: [],
      findings: [],
    });
    expect(
      skillDependenciesFromText(md(`name: plain\nmetadata: { "openclaw": { "emoji": "x" } }`)).requirements,
    ).toEqual([]);
  });

  it("handles a BOM and CRLF line endings like OpenClaw does", () => {
    const deps = skillDependenciesFromText(
      `\uFEFF---\r\nname: crlf\r\ndependencies:\r\n  python:\r\n    - package: pandas\r\n---\r\nbody\r\n`,
    );
    expect(deps).toMatchObject({ name: "crlf", requirements: ["pandas"], lines: [5] });
  });

  it("invalid YAML, an unterminated block or a non-mapping is a critical finding with a line", () => {
    const bad = skillDependenciesFromText(md(`name: x\ndependencies:\n  python: [\n`));
    expect(bad.findings[0]).toMatchObject({
      ruleId: "package-guard.frontmatter-yaml",
      severity: "critical",
      file: "SKILL.md",
    });
    expect(bad.findings[0]!.line).toBeGreaterThanOrEqual(2);
    expect(rules("---\nname: x\ndependencies: {}\n")).toEqual([["package-guard.frontmatter-unterminated", "critical"]]);
    expect(rules(md("- a\n- b"))).toEqual([["package-guard.frontmatter-yaml", "critical"]]);
    expect(rules(md("name: a\nname: b"))).toEqual([["package-guard.frontmatter-yaml", "critical"]]);
  });

  it("refuses an alias bomb rather than expanding it", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ..."bcdefg".split("").map((k, i) => `${k}: &${k} [${Array(10).fill(`*${"abcdefg"[i]}`).join(", ")}]`),
    ].join("\n");
    expect(rules(md(bomb))).toEqual([["package-guard.frontmatter-yaml", "critical"]]);
  });

  it(`more than ${MAX_DEPENDENCIES} dependencies is a critical finding`, () => {
    const list = Array.from({ length: MAX_DEPENDENCIES + 1 }, (_, i) => `    - package: pkg${i}`).join("\n");
    const deps = skillDependenciesFromText(md(`dependencies:\n  python:\n${list}`));
    expect(deps.requirements).toHaveLength(MAX_DEPENDENCIES);
    expect(deps.findings.map((f) => f.ruleId)).toEqual(["package-guard.too-many-dependencies"]);
  });
});

describe("reading SKILL.md from the staged directory", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "pg-skillmd-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const dir = async (name: string, files: Record<string, string> = {}) => {
    const d = join(root, name);
    await mkdir(d, { recursive: true });
    for (const [f, text] of Object.entries(files)) await writeFile(join(d, f), text);
    return d;
  };

  it("reads a directory's SKILL.md, or SKILL.md given as a file", async () => {
    const d = await dir("good", { "SKILL.md": md("name: good\ndependencies:\n  python:\n    - package: pyyaml") });
    expect((await readSkillDependencies(d, "directory")).requirements).toEqual(["pyyaml"]);
    expect((await readSkillDependencies(join(d, "SKILL.md"), "file")).requirements).toEqual(["pyyaml"]);
  });

  it("a missing, symlinked, oversized or non-regular SKILL.md blocks", async () => {
    const first = async (path: string, kind = "directory") =>
      (await readSkillDependencies(path, kind)).findings.map((f) => [f.ruleId, f.severity])[0];
    expect(await first(await dir("missing"))).toEqual(["package-guard.skill-md-missing", "critical"]);
    const target = await dir("target", { "real.md": md("name: x") });
    const linked = await dir("linked");
    await symlink(join(target, "real.md"), join(linked, "SKILL.md"));
    expect(await first(linked)).toEqual(["package-guard.skill-md-unreadable", "critical"]);
    const big = await dir("big", { "SKILL.md": md("name: big", "x".repeat(MAX_SKILL_MD_BYTES)) });
    expect(await first(big)).toEqual(["package-guard.skill-md-too-large", "critical"]);
    const nested = await dir("nested");
    await mkdir(join(nested, "SKILL.md"));
    expect(await first(nested)).toEqual(["package-guard.skill-md-unreadable", "critical"]);
    expect(await first(join(root, "good", "other.tar.gz"), "file")).toEqual(["package-guard.skill-path", "critical"]);
    expect(await first("relative/dir")).toEqual(["package-guard.skill-path", "critical"]);
  });
});
