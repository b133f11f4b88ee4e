/**
 * Issue 15.4 and 15.3 figures: (1) ingest of the real PyPA advisory snapshot as an OSV zip (`advisories update --from
 * <zip>`), (2) a re-scan of 50 skills x 30 pins right after a database update, with the offline backend (target
 * < 2 s). The snapshot is ../shared/data/pypa-advisory-database beside the clone (or PG_SHARED_DATA); without it the
 * bench says so and uses the repository's 40-advisory subset, which makes the figures meaningless.
 * Run: `npm run bench -- rescan`.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../src/audit/log.js";
import { parseConfig } from "../../src/config.js";
import { OverrideStore } from "../../src/policy/overrides.js";
import { PythonEnvironment } from "../../src/python/environment.js";
import { ScanCache } from "../../src/scan/cache.js";
import { updateAdvisoryDb } from "../../src/scan/db-update.js";
import { createScanner } from "../../src/scan/factory.js";
import { VulnerabilityScanService } from "../../src/scan/scan-service.js";
import { ExposureService } from "../../src/service/exposure.js";
import { runProcess } from "../../src/util/exec.js";
import { osvZip, PYPA_FIXTURE, treeRecords } from "../helpers/advisory-zip.js";
import type { OsvRecord } from "../helpers/osv-server.js";
import { REPO_ROOT } from "../helpers/repo-root.js";
import { percentile, table } from "./stats.js";

const SKILLS = 50;
const PINS_PER_SKILL = 30;
const ROUNDS = 5;

const snapshot = [
  process.env.PG_SHARED_DATA && join(process.env.PG_SHARED_DATA, "pypa-advisory-database"),
  join(REPO_ROOT, "..", "shared", "data", "pypa-advisory-database"),
  join(REPO_ROOT, "..", "..", "shared", "data", "pypa-advisory-database"),
].find((d): d is string => typeof d === "string" && existsSync(join(d, "vulns")));
if (!snapshot) console.log("!!! the PyPA snapshot is missing: using the 40-advisory fixture; figures are not real");
const records = await treeRecords(snapshot ?? PYPA_FIXTURE);

const work = await mkdtemp(join(tmpdir(), "rescan-bench-"));
const state = join(work, "state");
const config = parseConfig({ scan: { scanner: "osv-db" } }, state);
const zipFile = join(work, "all.zip");
await writeFile(zipFile, osvZip(records));

const timed = async <T>(fn: () => Promise<T>): Promise<[number, T]> => {
  const t = process.hrtime.bigint();
  const value = await fn();
  return [Number(process.hrtime.bigint() - t) / 1e6, value];
};

// Ingest of the whole snapshot.
const ingest: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const [ms] = await timed(() =>
    updateAdvisoryDb({
      root: config.scan.advisoryDbDir,
      ecosystem: "PyPI",
      from: zipFile,
      mirror: "",
      timeoutMs: 600_000,
    }),
  );
  ingest.push(ms);
}

// 50 skills x 30 pins over a pool of real project names: a third at a version their advisories name, the rest clean.
const pool: { name: string; version: string }[] = [];
for (const r of records) {
  const affected = r.affected?.[0];
  if (!affected || pool.some((p) => p.name === affected.package.name.toLowerCase())) continue;
  const name = affected.package.name.toLowerCase().replace(/[-_.]+/g, "-");
  const version = pool.length % 3 === 0 && affected.versions?.[0] ? affected.versions[0] : "9999.0";
  pool.push({ name, version });
  if (pool.length >= 300) break;
}
for (let s = 0; s < SKILLS; s++) {
  const pins = Array.from({ length: PINS_PER_SKILL }, (_, i) => pool[(s * 7 + i * 11) % pool.length]!);
  const unique = [...new Map(pins.map((p) => [p.name, p])).values()];
  const dir = join(state, "package-guard", "skills", `skill-${s}`);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "state.json"),
    JSON.stringify({
      version: 1,
      skill: `skill-${s}`,
      requirements: {},
      pins: unique.map((p) => ({ name: p.name, version: p.version, hashes: [] })),
      python: { path: "/usr/bin/python3", version: "3.11" },
      installer: "uv",
      updatedAt: new Date().toISOString(),
      lastTxId: null,
    }),
  );
}

const exposure = new ExposureService({
  config,
  python: new PythonEnvironment(config, runProcess),
  audit: await AuditLog.open(config.audit.file),
  overrides: new OverrideStore(join(config.dataDir, "overrides.json")),
  scan: async () =>
    new VulnerabilityScanService({
      scanner: createScanner({ ...config.scan, pipAudit: "", cacheDir: config.python.cacheDir }, runProcess),
      cache: await ScanCache.open({ file: config.scan.cacheFile, ttlHours: 24 }),
      ignore: [],
    }),
});
await exposure.rescan("baseline");

// Each round: a new database (one more advisory), then the re-scan the background service would run.
const rescans: number[] = [];
let last;
for (let i = 0; i < ROUNDS; i++) {
  const extra: OsvRecord = {
    id: `PYSEC-2099-${1000 + i}`,
    affected: [{ package: { name: pool[i]!.name, ecosystem: "PyPI" }, versions: [pool[i]!.version] }],
  };
  await writeFile(zipFile, osvZip([...records, extra]));
  await updateAdvisoryDb({
    root: config.scan.advisoryDbDir,
    ecosystem: "PyPI",
    from: zipFile,
    mirror: "",
    timeoutMs: 600_000,
  });
  const [ms, summary] = await timed(() => exposure.rescan("advisory data changed"));
  rescans.push(ms);
  last = summary;
}
const generations = (await readdir(join(config.scan.advisoryDbDir, "PyPI"))).filter((n) => n.startsWith("g-"));
await rm(work, { recursive: true, force: true });

console.log(
  `${records.length} advisories (${snapshot ? "PyPA snapshot" : "fixture"}); ${SKILLS} skills x ${PINS_PER_SKILL} ` +
    `pins, ${last?.pins} distinct; ${last?.exposedSkills.length} skills exposed; ` +
    `${generations.length} generations kept`,
);
console.log(
  table([
    ["figure", "median ms", "min", "max", "target"],
    [
      "ingest of the snapshot zip (advisories update --from)",
      percentile(ingest, 50).toFixed(0),
      Math.min(...ingest).toFixed(0),
      Math.max(...ingest).toFixed(0),
      "",
    ],
    [
      `re-scan ${SKILLS}x${PINS_PER_SKILL} after an update`,
      percentile(rescans, 50).toFixed(0),
      Math.min(...rescans).toFixed(0),
      Math.max(...rescans).toFixed(0),
      "< 2000",
    ],
  ]),
);
