import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kindOf } from "../../../src/skills/bundle-files.js";
import { MAX_FILE_BYTES, readSkillBundle } from "../../../src/skills/bundle.js";
import { MAX_DEPENDENCIES } from "../../../src/skills/python-deps.js";

let root: string;
let n = 0;
const SKILL_MD = "---\nname: bundle-skill\ndescription: x\n---\nbody\n";

/** A staged skill folder with these files (a string is its text, a Buffer its bytes). */
const bundle = async (files: Record<string, string | Buffer>): Promise<string> => {
  const dir = join(root, `b${n++}`);
  await mkdir(dir, { recursive: true });
  for (const [path, data] of Object.entries({ "SKILL.md": SKILL_MD, ...files })) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), data);
  }
  return dir;
};
const read = (dir: string) => readSkillBundle(dir, "directory");
const where = async (dir: string) => (await read(dir)).declared.map((d) => [d.requirement, d.file, d.line]);
const problems = async (dir: string) => (await read(dir)).findings.map((f) => [f.ruleId, f.file]);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pg-bundle-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("which files are read", () => {
  it("names dependency files by kind, case-insensitively", () => {
    expect(
      [
        "requirements.txt",
        "dev-requirements.txt",
        "Requirements-Dev.TXT",
        "requirements/base.txt",
        "requirements.in",
        "pyproject.toml",
        "sub/uv.lock",
        "pylock.toml",
        "pylock.dev.toml",
        "pylock.a.b.toml",
        "scripts/run.py",
        "gui.pyw",
        "bin/tool",
        "README.md",
        "notes.txt",
        "constraints.txt",
      ].map((p) => [p, kindOf(p)]),
    ).toEqual([
      ["requirements.txt", "requirements"],
      ["dev-requirements.txt", "requirements"],
      ["Requirements-Dev.TXT", "requirements"],
      ["requirements/base.txt", "requirements"],
      ["requirements.in", "requirements"],
      ["pyproject.toml", "pyproject"],
      ["sub/uv.lock", "uv-lock"],
      ["pylock.toml", "pylock"],
      ["pylock.dev.toml", "pylock"],
      ["pylock.a.b.toml", null],
      ["scripts/run.py", "python"],
      ["gui.pyw", "python"],
      ["bin/tool", "script?"],
      ["README.md", null],
      ["notes.txt", null],
      ["constraints.txt", null],
    ]);
  });
});

describe("reading a whole skill bundle", () => {
  it("gathers SKILL.md, scripts, requirements, pyproject and locks, each once, with file and line", async () => {
    const dir = await bundle({
      "SKILL.md":
        "---\nname: Data Viz\ndependencies:\n  python:\n    - package: pyyaml\n      version: '>=6,<7'\n---\n",
      "requirements.txt": "pyyaml>=6,<7\ntinycalc>=1,<2\n",
      "scripts/plot.py": '# /// script\n# dependencies = ["datakit"]\n# ///\nimport datakit\n',
      "bin/tool": '#!/usr/bin/env -S uv run --script\n# /// script\n# dependencies = ["numpy<2"]\n# ///\n',
      LICENSE: "MIT\n# /// script\n# dependencies = ['not-a-script']\n# ///\n",
      "pyproject.toml": '[project]\nname = "x"\ndependencies = ["pandas>=2"]\n',
      "uv.lock": 'version = 1\n[[package]]\nname = "pandas"\nversion = "2.2.3"\nsource = { registry = "x" }\n',
    });
    const deps = await read(dir);
    expect(deps.name).toBe("Data Viz");
    expect(deps.findings).toEqual([]);
    expect(deps.declared.map((d) => [d.requirement, d.file, d.line])).toEqual([
      ["pyyaml>=6,<7", "SKILL.md", 5],
      ["numpy<2", "bin/tool", 3],
      ["pandas>=2", "pyproject.toml", 3],
      ["tinycalc>=1,<2", "requirements.txt", 2],
      ["datakit", "scripts/plot.py", 2],
      ["pandas==2.2.3", "uv.lock", 3],
    ]);
  });

  it("reads files with a BOM and CRLF line ends; a UTF-16 or NUL-bearing file is a finding", async () => {
    const dir = await bundle({
      "requirements.txt": "\uFEFFpandas\r\ntinycalc\r\n",
      "a.py": "\uFEFF# /// script\r\n# dependencies = ['pyyaml']\r\n# ///\r\n",
    });
    expect(await where(dir)).toEqual([
      ["pyyaml", "a.py", 2],
      ["pandas", "requirements.txt", 1],
      ["tinycalc", "requirements.txt", 2],
    ]);
    const utf16 = await bundle({ "requirements.txt": Buffer.from("\uFEFFevil\n", "utf16le") });
    expect(await problems(utf16)).toEqual([["package-guard.file-encoding", "requirements.txt"]]);
    const nul = await bundle({ "pyproject.toml": Buffer.from("[project]\0\n") });
    expect(await problems(nul)).toEqual([["package-guard.file-encoding", "pyproject.toml"]]);
  });

  it("never follows a link out of the bundle: links to /etc, nowhere or outside folders are findings", async () => {
    const dir = await bundle({});
    await symlink("/etc/passwd", join(dir, "requirements.txt"));
    await symlink("/etc", join(dir, "etc"));
    await symlink(join(dir, "missing.txt"), join(dir, "dangling-requirements.txt"));
    await symlink("../..", join(dir, "up"));
    expect((await problems(dir)).toSorted()).toEqual([
      ["package-guard.symlink-escape", "dangling-requirements.txt"],
      ["package-guard.symlink-escape", "etc"],
      ["package-guard.symlink-escape", "requirements.txt"],
      ["package-guard.symlink-escape", "up"],
    ]);
    expect((await read(dir)).declared).toEqual([]);
  });

  it("a link inside the bundle is read at its target under the role its own name gives it", async () => {
    const dir = await bundle({ "deps/base.lst": "tinycalc\n", "src/tool.py": "# nothing\n" });
    await symlink("deps/base.lst", join(dir, "requirements.txt"));
    await symlink("src", join(dir, "linked-src"));
    expect(await where(dir)).toEqual([["tinycalc", "requirements.txt", 1]]);
    expect((await read(dir)).findings).toEqual([]);
  });

  it("a FIFO or folder named like a dependency file is a finding, never a hang", async () => {
    const dir = await bundle({});
    execFileSync("mkfifo", [join(dir, "requirements.txt")]);
    await mkdir(join(dir, "pyproject.toml"));
    await mkdir(join(dir, "uv.lock"));
    await writeFile(join(dir, "uv.lock", "requirements.txt"), "tinycalc\n");
    expect(await problems(dir)).toEqual([["package-guard.bundle-unreadable", "requirements.txt"]]);
    expect(await where(dir)).toEqual([["tinycalc", "uv.lock/requirements.txt", 1]]);
  });

  it("a file past its size cap, or past the bundle's total, is a finding rather than partly read", async () => {
    const big = await bundle({ "requirements.txt": `tinycalc\n${"#".repeat(MAX_FILE_BYTES.requirements)}\n` });
    expect(await problems(big)).toEqual([["package-guard.bundle-unreadable", "requirements.txt"]]);
    expect((await read(big)).declared).toEqual([]);
    const many = await bundle({ "a-requirements.txt": "a\n".repeat(50), "b-requirements.txt": "b\n".repeat(50) });
    const limited = await readSkillBundle(many, "directory", { entries: 100, depth: 16, bytes: 150 });
    expect(
      limited.findings.map((f) => [f.ruleId, f.file, f.message.includes("together exceed the 150 bytes")]),
    ).toEqual([["package-guard.bundle-too-large", ".", true]]);
  });

  it("too many files or folders nested too deep block instead of being skipped", async () => {
    const wide = await bundle(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}.txt`, ""])));
    const tooWide = await readSkillBundle(wide, "directory", { entries: 10, depth: 16, bytes: 1 << 20 });
    expect(tooWide.findings.map((f) => f.ruleId)).toEqual(["package-guard.bundle-too-large"]);
    const deep = await bundle({ [`${"d/".repeat(5)}requirements.txt`]: "evil\n" });
    const tooDeep = await readSkillBundle(deep, "directory", { entries: 100, depth: 4, bytes: 1 << 20 });
    expect(tooDeep.findings.map((f) => [f.ruleId, f.file])).toEqual([["package-guard.bundle-too-deep", "d/d/d/d"]]);
  });

  it("walks .git and every other folder too: nothing is a blind spot", async () => {
    const dir = await bundle({ ".git/hooks/requirements.txt": "hidden\n", "node_modules/x/run.py": "" });
    expect(await where(dir)).toEqual([["hidden", ".git/hooks/requirements.txt", 1]]);
  });

  it("a requirement under a marker anywhere stays conditional only if it is conditional everywhere", async () => {
    const dir = await bundle({
      "requirements.txt": 'tomli; python_version < "3.11"\ncolorama; sys_platform == "win32"\n',
      "pyproject.toml": '[project]\ndependencies = ["tomli"]\n',
    });
    expect((await read(dir)).declared.map((d) => [d.requirement, d.conditional ?? false])).toEqual([
      ["tomli", false],
      ["colorama", true],
    ]);
  });

  it(`more than ${MAX_DEPENDENCIES} requirements across files is a finding`, async () => {
    const list = Array.from({ length: MAX_DEPENDENCIES + 3 }, (_, i) => `pkg${i}`).join("\n");
    const deps = await read(await bundle({ "requirements.txt": list }));
    expect(deps.declared).toHaveLength(MAX_DEPENDENCIES);
    expect(deps.findings.map((f) => [f.ruleId, f.file, f.line])).toEqual([
      ["package-guard.too-many-dependencies", "requirements.txt", MAX_DEPENDENCIES + 1],
    ]);
  });

  it("SKILL.md given as a file is read alone", async () => {
    const dir = await bundle({ "requirements.txt": "tinycalc\n" });
    expect(await readSkillBundle(join(dir, "SKILL.md"), "file")).toEqual({
      name: "bundle-skill",
      declared: [],
      findings: [],
    });
  });
});
