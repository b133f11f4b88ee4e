/**
 * Install path figures (issues 3 and 7), printed, never asserted:
 *  - warm path: the whole pipeline (policy, resolve, scan from cache, install) into a NEW skill venv, vs bare
 *    `uv venv` + `uv pip install` of the same pins with the same warm uv cache (target ratio <= 1.25);
 *  - disk: bytes a second skill venv with the same packages adds (target <= 10% of the first);
 *  - parallel: 8 installs into 8 skills at once vs 1 (target ratio <= 2);
 *  - link modes (issue 13 item 8): the time and disk an 8 MiB package costs per skill with linkMode copy (the
 *    default: each venv owns its files) and hardlink (venvs share files with uv's cache).
 * Run: npx tsx test/bench/install.bench.ts
 */
import { execFile } from "node:child_process";
import { lstat, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseConfig } from "../../src/config.js";
import { openServices } from "../../src/runtime.js";
import { childEnv } from "../../src/util/env.js";
import { DEMO_PACKAGES, startPackageIndex } from "../helpers/package-index.js";
import { REPO_ROOT } from "../helpers/repo-root.js";
import { TOOLS, toolConfig } from "../helpers/tool-paths.js";
import { percentile, table } from "./stats.js";

const run = promisify(execFile);
const ROUNDS = 5;
const work = await mkdtemp(join(tmpdir(), "pg-install-bench-"));
// A package with some weight (8 MiB of data), so venv bytes are about packages, not the venv skeleton.
const HEAVY = {
  name: "heavydata",
  version: "1.0.0",
  files: { "heavydata/table.txt": "0123456789abcdef\n".repeat(512 * 1024) },
};
const index = await startPackageIndex({ packages: [...DEMO_PACKAGES, HEAVY] });
const stateDir = join(work, "state");
const config = parseConfig(
  {
    agents: { bench: "intern" },
    whitelist: { tiers: { student: [{ package: "heavydata", version: ">=1" }] } },
    python: toolConfig(),
    index: { url: index.url },
    scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
  },
  stateDir,
);
const service = await openServices(config);
const caller = { source: "cli" as const, agentId: "bench" };
const ms = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

// Bare uv, no plugin: the baseline every install figure is set against. It gets the interpreter binary itself, as
// the plugin does (a launcher such as a pyenv shim would cost both sides ~120 ms per uv call).
const realPython = (
  await run(TOOLS.python, ["-I", "-S", "-c", "import sys; print(sys.executable)"], { env: childEnv() })
).stdout.trim();
const bareInstall = async (venv: string, packages: string[]) => {
  const uvArgs = ["--no-config", "--cache-dir", join(config.python.cacheDir, "uv")];
  await run(TOOLS.uv, ["venv", venv, "--python", realPython, "--no-python-downloads", ...uvArgs], {
    env: childEnv(),
  });
  await run(
    TOOLS.uv,
    [
      "pip",
      "install",
      "--python",
      join(venv, "bin", "python"),
      "--default-index",
      index.url,
      "--only-binary",
      ":all:",
      "--link-mode",
      config.python.linkMode,
      ...uvArgs,
      ...packages,
    ],
    { env: childEnv() },
  );
};

// Warm everything once: uv's cache, the scan cache, the JIT.
const first = await service.packages.install({ package: "requests", skill: "warm-up" }, caller);
const pins = first.dependencies.map((d) => `${d.name}==${d.version}`);

const pipeline: number[] = [];
const bare: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  pipeline.push(await ms(() => service.packages.install({ package: "requests", skill: `warm-${i}` }, caller)));
  bare.push(await ms(() => bareInstall(join(work, `bare-${i}`), pins)));
}

// All bytes of a venv's files, or only those no other file shares (a hardlink into uv's cache is shared).
const venvBytes = async (dir: string, ownOnly: boolean): Promise<number> => {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const s = await lstat(join(entry.parentPath, entry.name));
    if (s.isFile() && (!ownOnly || s.nlink === 1)) total += s.size;
  }
  return total;
};
await service.packages.install({ package: "heavydata", skill: "disk-a" }, caller);
await service.packages.install({ package: "heavydata", skill: "disk-b" }, caller);
const bytesA = await venvBytes(join(config.venvRoot, "disk-a"), false);
const bytesB = await venvBytes(join(config.venvRoot, "disk-b"), true);

// CPU seconds this process and its waited-for children (uv, python) have used: /proc/self/stat utime..cstime.
const cpuSeconds = async (): Promise<number> => {
  const fields = (await readFile("/proc/self/stat", "utf8")).split(") ")[1]!.split(" ");
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / 100;
};
const pandasPins = (
  await service.packages.install({ package: "pandas", skill: "pandas-warm" }, caller)
).dependencies.map((d) => `${d.name}==${d.version}`);
const cpuBefore = await cpuSeconds();
const one = await ms(() => service.packages.install({ package: "pandas", skill: "solo" }, caller));
const oneCpu = (await cpuSeconds()) - cpuBefore;
const eight = await ms(() =>
  Promise.all(
    Array.from({ length: 8 }, (_, i) => service.packages.install({ package: "pandas", skill: `par-${i}` }, caller)),
  ),
);
// The same fan-out with bare uv, side by side: what the machine allows without the plugin.
const bareOne = await ms(() => bareInstall(join(work, "bare-solo"), pandasPins));
const bareEight = await ms(() =>
  Promise.all(Array.from({ length: 8 }, (_, i) => bareInstall(join(work, `bare-par-${i}`), pandasPins))),
);

console.log(
  `install of requests (+4 deps) from a loopback index, ${ROUNDS} rounds, uv ` +
    `${await run(TOOLS.uv, ["--version"]).then((r) => r.stdout.trim())}`,
);
console.log(
  table([
    ["case", "median ms", "p95 ms", "ratio"],
    [
      "pipeline into a new skill (warm caches)",
      percentile(pipeline, 50).toFixed(0),
      percentile(pipeline, 95).toFixed(0),
      (percentile(pipeline, 50) / percentile(bare, 50)).toFixed(2),
    ],
    [
      "bare uv venv + uv pip install (same pins)",
      percentile(bare, 50).toFixed(0),
      percentile(bare, 95).toFixed(0),
      "1.00",
    ],
  ]),
);
console.log(`target warm ratio <= 1.25: ${percentile(pipeline, 50) / percentile(bare, 50) <= 1.25 ? "met" : "MISSED"}`);
console.log(
  `disk (linkMode ${config.python.linkMode}): first venv ${(bytesA / 1024).toFixed(0)} KiB, a second with the same ` +
    `packages adds ${(bytesB / 1024).toFixed(0)} KiB (${((100 * bytesB) / bytesA).toFixed(1)}%); target <= 10%: ` +
    `${bytesB <= bytesA * 0.1 ? "met" : "MISSED"}`,
);
console.log(
  `parallel: 1 install ${one.toFixed(0)} ms, 8 installs into 8 skills ${eight.toFixed(0)} ms, ratio ` +
    `${(eight / one).toFixed(2)}; target <= 2: ${eight / one <= 2 ? "met" : "MISSED"}`,
);
console.log(
  `  baseline, bare uv venv + uv pip install: 1 ${bareOne.toFixed(0)} ms, 8 at once ${bareEight.toFixed(0)} ms, ` +
    `ratio ${(bareEight / bareOne).toFixed(2)}`,
);
console.log(
  `  one pipeline install used ${(oneCpu * 1000).toFixed(0)} ms of CPU (plugin + uv + python) in ${one.toFixed(0)} ` +
    `ms; ${availableParallelism()} cores, so 8 need >= ${((8 * oneCpu * 1000) / availableParallelism()).toFixed(0)} ` +
    `ms of wall time (ratio floor ${((8 * oneCpu) / availableParallelism() / (one / 1000)).toFixed(2)})`,
);

// Link modes side by side, same state dir and warm uv cache: copy (the default) and hardlink.
const services = {
  copy: service,
  hardlink: await openServices(
    parseConfig(
      {
        agents: { bench: "intern" },
        whitelist: { tiers: { student: [{ package: "heavydata", version: ">=1" }] } },
        python: toolConfig({ linkMode: "hardlink" }),
        index: { url: index.url },
        scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
      },
      stateDir,
    ),
  ),
};
const modeRows: string[][] = [["linkMode", "median ms", "p95 ms", "first venv KiB", "each further venv adds KiB"]];
for (const [mode, svc] of Object.entries(services)) {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++)
    times.push(await ms(() => svc.packages.install({ package: "heavydata", skill: `${mode}-${i}` }, caller)));
  const whole = await venvBytes(join(config.venvRoot, `${mode}-0`), false);
  const own = await venvBytes(join(config.venvRoot, `${mode}-1`), true);
  modeRows.push([
    mode,
    percentile(times, 50).toFixed(0),
    percentile(times, 95).toFixed(0),
    (whole / 1024).toFixed(0),
    (own / 1024).toFixed(0),
  ]);
}
console.log(`heavydata (8 MiB) into a new skill, ${ROUNDS} rounds per link mode, warm caches`);
console.log(table(modeRows));

await index.close();
await rm(work, { recursive: true, force: true });
