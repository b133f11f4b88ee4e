/**
 * What issue 15 items 1 and 5 add to a vet, which must fit the before_install hook's 12 s budget: reading a skill
 * bundle (a realistic one, and one at the entry bound of 10,000), and the release check of a 30-pin set against a
 * loopback index (one project page per pin, cold).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../src/config.js";
import { checkReleases } from "../../src/python/releases.js";
import { fetchProjectFiles } from "../../src/python/simple-api.js";
import { readSkillBundle } from "../../src/skills/bundle.js";
import { startPackageIndex } from "../helpers/package-index.js";
import { sha256Hex, wheelBytes } from "../helpers/wheels.js";
import { percentile, table } from "./stats.js";

const root = await mkdtemp(join(tmpdir(), "bundle-bench-"));
const write = async (dir: string, path: string, text: string) => {
  await mkdir(join(dir, path, ".."), { recursive: true });
  await writeFile(join(dir, path), text);
};
const SKILL = "---\nname: bench\ndescription: bench\n---\nbody\n";

// Realistic: 50 scripts (10 with a PEP 723 block), a 20-line requirements file, a pyproject, a 30-pin uv.lock.
const realistic = join(root, "realistic");
await write(realistic, "SKILL.md", SKILL);
for (let i = 0; i < 50; i++) {
  const block = i < 10 ? `# /// script\n# dependencies = ["pkg${i}>=1"]\n# ///\n` : "";
  await write(realistic, `scripts/s${i}.py`, `${block}${"x = 1\n".repeat(200)}`);
}
await write(realistic, "requirements.txt", Array.from({ length: 20 }, (_, i) => `req${i}>=1,<2`).join("\n"));
await write(realistic, "pyproject.toml", '[project]\nname = "bench"\ndependencies = ["a>=1", "b>=2"]\n');
const lockPackage = (i: number) =>
  `[[package]]\nname = "lock${i}"\nversion = "1.0.${i}"\nsource = { registry = "https://pypi.org/simple" }\n`;
await write(realistic, "uv.lock", `version = 1\n${Array.from({ length: 30 }, (_, i) => lockPackage(i)).join("")}`);

// At the bound: 9,990 files of 1 KB in 100 folders, every one a .py the reader must open.
const wide = join(root, "wide");
await write(wide, "SKILL.md", SKILL);
for (let d = 0; d < 99; d++) {
  await Promise.all(Array.from({ length: 100 }, (_, f) => write(wide, `d${d}/m${f}.py`, "y = 2\n".repeat(170))));
}

const time = async (fn: () => Promise<unknown>, runs: number): Promise<number[]> => {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples;
};

const small = await time(() => readSkillBundle(realistic, "directory"), 50);
const declared = (await readSkillBundle(realistic, "directory")).declared.length;
const big = await time(() => readSkillBundle(wide, "directory"), 5);

const specs = Array.from({ length: 30 }, (_, i) => ({ name: `pkg${i}`, version: "1.0.0" }));
const index = await startPackageIndex({ packages: specs, dir: join(root, "wheels") });
const config = parseConfig({ index: { url: index.url } }, join(root, "state"));
const pins = specs.map((s) => ({ name: s.name, version: s.version, hashes: [`sha256:${sha256Hex(wheelBytes(s))}`] }));
const releases = await time(
  () =>
    checkReleases(
      {
        config,
        toolchain: "uv",
        now: new Date(),
        projectFiles: (name) => fetchProjectFiles(config.index.url, name, { timeoutMs: 10_000 }),
      },
      pins,
    ),
  20,
);
await index.close();
await rm(root, { recursive: true, force: true });

const ms = (v: number) => `${v.toFixed(1)} ms`;
console.log(
  table([
    ["figure", "p50", "p99 / max"],
    [
      `read a realistic bundle (53 files, ${declared} requirements)`,
      ms(percentile(small, 50)),
      ms(percentile(small, 99)),
    ],
    ["read a bundle at the bound (9,990 .py files, 10 MiB)", ms(percentile(big, 50)), ms(Math.max(...big))],
    [
      "release check of 30 pins, cold pages (loopback index)",
      ms(percentile(releases, 50)),
      ms(percentile(releases, 99)),
    ],
  ]),
);
