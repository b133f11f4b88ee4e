/**
 * npm component install figures (issue 16), printed, never asserted:
 *  - a component install through the whole pipeline (policy, lock-only resolve, lockfile checks, scan from the warm
 *    cache, npm ci --ignore-scripts, on-disk check, swap) into a NEW component, vs bare `npm ci --ignore-scripts` of
 *    the same lockfile (each with a fresh npm cache, as the pipeline uses one per operation): the ratio;
 *  - the same against bare `npm install --package-lock-only` + `npm ci`: what the plugin adds beyond resolving.
 * Run: npx tsx test/bench/npm-install.bench.ts
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseConfig } from "../../src/config.js";
import { openServices } from "../../src/runtime.js";
import { startNpmRegistry, type NpmPackageSpec } from "../helpers/npm-registry.js";
import { startOsvServer } from "../helpers/osv-server.js";
import { percentile, table } from "./stats.js";

const run = promisify(execFile);
const ROUNDS = 5;
const DEPS = 40;
const work = await mkdtemp(join(tmpdir(), "pg-npm-bench-"));
// A chart library with 40 dependencies, each with a few KiB of code: a tree the size of a small widget library's.
const body = (name: string) => ({
  "index.js": `module.exports = ${JSON.stringify(name)};\n${"// code\n".repeat(400)}`,
});
const deps: NpmPackageSpec[] = Array.from({ length: DEPS }, (_, i) => ({
  name: `dep${i}`,
  version: "1.0.0",
  files: body(`dep${i}`),
}));
const root: NpmPackageSpec = {
  name: "chartlib",
  version: "3.1.0",
  dependencies: Object.fromEntries(deps.map((d) => [d.name, "^1.0.0"])),
  files: body("chartlib"),
};
const registry = await startNpmRegistry({ packages: [...deps, root] });
// Scans go to the OSV API backend (a loopback OSV server with no advisories); after the warm-up they come from the
// scan cache, as they do for a repeated install.
const osv = await startOsvServer([]);
const config = parseConfig(
  {
    agents: { bench: "student" },
    whitelist: { includeDefault: false, tiers: { student: [{ package: "chartlib", ecosystem: "npm" }] } },
    npm: { registry: registry.url },
    scan: { osvApiUrl: osv.baseUrl },
  },
  join(work, "state"),
);
const services = await openServices(config);
const caller = { source: "cli" as const, agentId: "bench" };
const ms = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

// Bare npm with the same isolation the pipeline uses (own empty npmrc files, own cache, no scripts).
const bare = async (dir: string, lockOnlyFirst: boolean): Promise<void> => {
  await writeFile(join(dir, "user.npmrc"), "");
  await writeFile(join(dir, "global.npmrc"), "");
  const args = (cmd: string[]) => [
    ...cmd,
    "--ignore-scripts",
    "--registry",
    registry.url,
    "--userconfig",
    join(dir, "user.npmrc"),
    "--globalconfig",
    join(dir, "global.npmrc"),
    "--cache",
    join(dir, "cache"),
    "--no-audit",
    "--no-fund",
    "--no-bin-links",
  ];
  const env = { PATH: process.env.PATH ?? "", HOME: dir };
  if (lockOnlyFirst) await run("npm", args(["install", "--package-lock-only"]), { cwd: join(dir, "p"), env });
  await run("npm", args(["ci"]), { cwd: join(dir, "p"), env });
};

// Warm-up: the JIT, the scan cache, the registry's packed tarballs.
const first = await services.npm.install({ package: "chartlib", component: "warm-up" }, caller);
const lockfile = join(config.npm.componentsRoot, "warm-up", "package-lock.json");
const manifest = join(config.npm.componentsRoot, "warm-up", "package.json");

const pipeline: number[] = [];
const ciOnly: number[] = [];
const lockAndCi: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  pipeline.push(await ms(() => services.npm.install({ package: "chartlib", component: `c${i}` }, caller)));
  for (const [samples, lockOnly] of [
    [ciOnly, false],
    [lockAndCi, true],
  ] as const) {
    const dir = join(work, `bare-${lockOnly ? "lock" : "ci"}-${i}`);
    await mkdir(join(dir, "p"), { recursive: true });
    await copyFile(manifest, join(dir, "p", "package.json"));
    if (!lockOnly) await copyFile(lockfile, join(dir, "p", "package-lock.json"));
    samples.push(await ms(() => bare(dir, lockOnly)));
  }
}

const p50 = (s: number[]) => percentile(s, 50);
const npmVersion = (await run("npm", ["--version"])).stdout.trim();
console.log(
  `tree: ${first.dependencies.length} packages, ${ROUNDS} rounds, npm ${npmVersion}, fresh npm cache each run`,
);
console.log(
  table([
    ["path", "p50 ms", "min ms", "max ms"],
    [
      "component install (whole pipeline)",
      ...[p50(pipeline), Math.min(...pipeline), Math.max(...pipeline)].map((v) => v.toFixed(0)),
    ],
    [
      "bare npm ci --ignore-scripts",
      ...[p50(ciOnly), Math.min(...ciOnly), Math.max(...ciOnly)].map((v) => v.toFixed(0)),
    ],
    [
      "bare npm install --package-lock-only + npm ci",
      ...[p50(lockAndCi), Math.min(...lockAndCi), Math.max(...lockAndCi)].map((v) => v.toFixed(0)),
    ],
  ]),
);
console.log(`ratio pipeline / bare npm ci: ${(p50(pipeline) / p50(ciOnly)).toFixed(2)}`);
console.log(`ratio pipeline / bare lock-only + ci: ${(p50(pipeline) / p50(lockAndCi)).toFixed(2)}`);
await registry.close();
await osv.close();
await rm(work, { recursive: true, force: true });
