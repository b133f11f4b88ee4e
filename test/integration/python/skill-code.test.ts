import { execFileSync } from "node:child_process";
import { access, appendFile, chmod, lstat, mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { skillPaths } from "../../../src/python/layout.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { harness, importFrom, install, uninstall, type Harness } from "./setup.js";

/*
 * Issue 13 items 7 and 8, with real uv and venvs: package-guard's own steps never execute anything from a skill's
 * venv, a wheel may not rewrite the venv's control files, and one skill's files are not another's.
 */
const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

let dir: string;
let marker: string;
let index: PackageIndex;
let h: Harness;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-skill-code-"));
  marker = join(dir, "payload-ran");
  index = await startPackageIndex({
    dir: join(dir, "wheels"),
    packages: [
      ...DEMO_PACKAGES,
      // A .pth line runs whenever an interpreter starts with this site-packages: the payload of the red team.
      {
        name: "evilpth",
        version: "1.0.0",
        files: { "evilpth.pth": `import os; open(${JSON.stringify(marker)}, "a").write("pth\\n")\n` },
      },
      { name: "cfgwheel", version: "1.0.0", files: { "cfgwheel-1.0.0.data/data/pyvenv.cfg": "home = /tmp/evil\n" } },
      {
        name: "clitool",
        version: "1.0.0",
        files: {
          "clitool/cli.py": "def main():\n    print('clitool ok')\n",
          "clitool-1.0.0.dist-info/entry_points.txt": "[console_scripts]\nclitool = clitool.cli:main\n",
        },
      },
    ],
  });
});
afterAll(async () => {
  await index?.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await rm(marker, { force: true });
  await h?.cleanup();
});

/** uv keeps what it learned about an interpreter; an operator may clear that cache at any time. */
const forgetInterpreters = async (h: Harness): Promise<void> => {
  const cache = join(h.config.python.cacheDir, "uv");
  for (const entry of await readdir(cache).catch(() => [] as string[]))
    if (entry.startsWith("interpreter-")) await rm(join(cache, entry), { recursive: true, force: true });
};

describe("our steps never run a skill's code", () => {
  it("a .pth file in an installed package does not run during later installs and uninstalls", async () => {
    h = await harness(index.url);
    await install(h.env, "a", "evilpth");
    await forgetInterpreters(h);
    await install(h.env, "a", "tinycalc", "==1.0.0");
    await forgetInterpreters(h);
    await uninstall(h.env, "a", "tinycalc");
    expect(await exists(marker)).toBe(false);
    // The payload is real: the skill's own interpreter runs it.
    importFrom(skillPaths(h.config, "a").python, "evilpth");
    expect(await readFile(marker, "utf8")).toContain("pth");
  });

  it("a skill that replaces bin/python cannot redirect the next install; its venv is rebuilt", async () => {
    h = await harness(index.url);
    await install(h.env, "a", "tinycalc", "==1.0.0");
    await install(h.env, "b", "tinycalc", "==1.0.0");
    const a = skillPaths(h.config, "a");
    const b = skillPaths(h.config, "b");
    // The skill's code points its "python" at another skill's venv and leaves a trace when anything runs it.
    await unlink(a.python);
    await writeFile(
      a.python,
      `#!/bin/sh\necho ran >> ${JSON.stringify(marker)}\nexec ${JSON.stringify(b.python)} "$@"\n`,
    );
    await chmod(a.python, 0o755);
    await forgetInterpreters(h);
    await install(h.env, "a", "pyyaml", "==6.0.2");
    expect(await exists(marker)).toBe(false);
    expect(importFrom(a.python, "yaml", "tinycalc")).toBe("6.0.2 1.0.0");
    expect(() => importFrom(b.python, "yaml")).toThrow(/No module named 'yaml'/);
    expect((await lstat(a.python)).isSymbolicLink()).toBe(true);
    expect(await exists(marker)).toBe(false);
  });

  it("a wheel that would rewrite pyvenv.cfg is refused, and the venv keeps its own", async () => {
    h = await harness(index.url);
    await install(h.env, "a", "tinycalc", "==1.0.0");
    const cfg = join(skillPaths(h.config, "a").venv, "pyvenv.cfg");
    const before = await readFile(cfg, "utf8");
    const error = await install(h.env, "a", "cfgwheel").catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "INSTALL_FAILED",
      details: { reason: "venv-control-file", writes: [{ package: "cfgwheel", path: "pyvenv.cfg" }], rolledBack: true },
    });
    expect(await readFile(cfg, "utf8")).toBe(before);
    expect(importFrom(skillPaths(h.config, "a").python, "tinycalc")).toBe("1.0.0");
  });

  it("console scripts installed from outside the venv still run with the skill's own python", async () => {
    h = await harness(index.url);
    await install(h.env, "a", "clitool");
    const script = join(skillPaths(h.config, "a").venv, "bin", "clitool");
    expect((await readFile(script, "utf8")).split("\n")[0]).toBe(`#!${skillPaths(h.config, "a").python}`);
    expect(execFileSync(script, [], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } })).toBe("clitool ok\n");
  });
});

describe("one skill's files are its own (linkMode default)", () => {
  it("an in-place edit of a file in one skill changes neither another skill's copy nor uv's cache", async () => {
    h = await harness(index.url);
    await install(h.env, "a", "tinycalc", "==1.0.0");
    await install(h.env, "b", "tinycalc", "==1.0.0");
    const siteOf = async (skill: string) => {
      const lib = join(skillPaths(h.config, skill).venv, "lib");
      return join(lib, (await readdir(lib))[0]!, "site-packages", "tinycalc", "__init__.py");
    };
    // Appending keeps the inode: with hard links every venv (and uv's cache) sharing it would change too.
    await appendFile(await siteOf("a"), "EDITED_BY_SKILL_A = True\n");
    expect(await readFile(await siteOf("b"), "utf8")).toBe('__version__ = "1.0.0"\n');
    const cached: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile() && e.name === "__init__.py" && d.endsWith("tinycalc")) cached.push(p);
      }
    };
    await walk(join(h.config.python.cacheDir, "uv"));
    expect(cached.length).toBeGreaterThan(0);
    for (const p of cached) expect(await readFile(p, "utf8")).not.toContain("EDITED_BY_SKILL_A");
  });
});
