import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../helpers/repo-root.js";

/*
 * What `npm pack` ships is what `openclaw plugins install <tarball>` (and a registry install) gets. The tarball is
 * unpacked on its own, next to nothing but its runtime dependencies, and the bin must still decide with the shipped
 * default whitelist: a file the code needs but `files` leaves out fails here, not on a user's gateway.
 */
const run = promisify(execFile);
let work: string;
let tarball: string;
let files: string[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pg-pack-"));
  const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], {
    cwd: REPO_ROOT,
    timeout: 120_000,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed!.filename);
  files = packed!.files.map((f) => f.path);
}, 150_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("the published package", () => {
  it("holds every entry point the manifests name, and no sources, tests or tools", async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as {
      bin: Record<string, string>;
      openclaw: { extensions: string[] };
    };
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, "openclaw.plugin.json"), "utf8")) as {
      skills: string[];
    };
    const wanted = [
      "package.json",
      "openclaw.plugin.json",
      "config/package_whitelist_default.yaml",
      ...Object.values(pkg.bin),
      ...pkg.openclaw.extensions,
      ...manifest.skills.map((dir) => `${dir}/python-packages/SKILL.md`),
    ].map((p) => p.replace(/^\.\//, ""));
    expect(files).toEqual(expect.arrayContaining(wanted));
    expect(files.filter((f) => /^(src|test|scratch|\.tools|node_modules|\.ci)\//.test(f))).toEqual([]);
  });

  it("works unpacked on its own: the bin decides with the shipped default whitelist", async () => {
    const unpacked = join(work, "unpacked");
    await mkdir(unpacked);
    await run("tar", ["-xzf", tarball, "-C", unpacked], { timeout: 60_000 });
    const root = join(unpacked, "package");
    // Only the runtime dependencies are needed; the repo's node_modules has them.
    await symlink(join(REPO_ROOT, "node_modules"), join(root, "node_modules"), "dir");
    const stateDir = join(work, "state");
    const { stdout } = await run(
      process.execPath,
      [
        join(root, "bin", "package-guard.mjs"),
        "check",
        "requests",
        "--maturity",
        "intern",
        "--json",
        "--state-dir",
        stateDir,
      ],
      { timeout: 60_000 },
    );
    expect(JSON.parse(stdout)).toMatchObject({ allowed: true, package: "requests", maturity: "intern" });
  });
});
