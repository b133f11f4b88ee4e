/**
 * `npm run bench`: runs every test/bench/*.bench.ts one after another (never in parallel: they measure time),
 * each in its own process, and prints their figures. `npm run bench -- decision audit` runs only those.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .toSorted();

let failed = 0;
for (const file of benches) {
  console.log(`\n### ${file}`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(here, file)], { stdio: "inherit", env: process.env });
  if (r.status !== 0) failed++;
}
console.log(`\n${benches.length - failed}/${benches.length} benchmarks ran`);
process.exitCode = failed > 0 ? 1 : 0;
