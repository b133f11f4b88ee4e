/**
 * Scan latency for a 30-pin resolved set: cold (the offline osv-db scanner reads and matches the real PyPA
 * snapshot) versus warm (every pin answered by ScanCache, in memory or reloaded from its JSON file after a
 * restart). Run: `npx tsx test/bench/scan-cache.bench.ts`.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScanCache } from "../../src/scan/cache.js";
import { OsvDbScanner } from "../../src/scan/osv-db.js";
import { VulnerabilityScanService } from "../../src/scan/scan-service.js";
import type { ScanPin } from "../../src/scan/types.js";
import { REPO_ROOT } from "../helpers/repo-root.js";
import { percentile, table } from "./stats.js";

const SNAPSHOT = [
  join(REPO_ROOT, "..", "shared", "data", "pypa-advisory-database"),
  join(REPO_ROOT, "test", "fixtures", "pypa-advisories"),
].find((d) => existsSync(join(d, "vulns")))!;

// A plausible resolved web/data-stack set, some pins old (many findings), most current.
const PINS: ScanPin[] = Object.entries({
  requests: "2.31.0",
  urllib3: "1.26.4",
  idna: "3.6",
  certifi: "2024.7.4",
  jinja2: "3.1.4",
  pyyaml: "5.3",
  django: "3.2.0",
  flask: "2.2.5",
  werkzeug: "2.2.2",
  pillow: "9.0.0",
  numpy: "1.26.4",
  pandas: "2.2.2",
  cryptography: "41.0.0",
  lxml: "4.9.1",
  aiohttp: "3.8.1",
  sqlalchemy: "2.0.30",
  tornado: "6.4",
  paramiko: "3.4.0",
  setuptools: "65.5.0",
  pip: "23.0",
  twisted: "22.4.0",
  scrapy: "2.11.2",
  bleach: "6.1.0",
  babel: "2.15.0",
  pygments: "2.15.0",
  mistune: "3.0.2",
  httpx: "0.27.0",
  gunicorn: "22.0.0",
  celery: "5.4.0",
  redis: "5.0.4",
}).map(([name, version]) => ({ ecosystem: "PyPI" as const, name, version }));

const ROUNDS = 7;
const work = await mkdtemp(join(tmpdir(), "scan-bench-"));
const timed = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

const cold: number[] = [];
const warm: number[] = [];
const restarted: number[] = [];
let findings = 0;
for (let round = 0; round < ROUNDS; round++) {
  const file = join(work, `cache-${round}.json`);
  const service = new VulnerabilityScanService({
    scanner: new OsvDbScanner(SNAPSHOT),
    cache: await ScanCache.open({ file, ttlHours: 24 }),
    ignore: [],
  });
  cold.push(await timed(async () => (findings = (await service.scan(PINS)).findings.length)));
  warm.push(await timed(() => service.scan(PINS)));
  restarted.push(
    await timed(async () => {
      const cache = await ScanCache.open({ file, ttlHours: 24 });
      const out = await new VulnerabilityScanService({ scanner: new OsvDbScanner(SNAPSHOT), cache, ignore: [] }).scan(
        PINS,
      );
      if (out.scanned !== 0) throw new Error("expected every pin from the cache");
    }),
  );
}
await rm(work, { recursive: true, force: true });

const ms = (v: number) => v.toFixed(2);
const coldMedian = percentile(cold, 50);
console.log(
  `${PINS.length} pins, ${findings} findings, snapshot ${SNAPSHOT}, ${ROUNDS} rounds (round 1 includes JIT warm-up)`,
);
console.log(
  table([
    ["case", "median ms", "p95 ms", "min ms", "cold/this (median)"],
    ["cold: osv-db scan", ms(coldMedian), ms(percentile(cold, 95)), ms(Math.min(...cold)), "1.0x"],
    [
      "warm: cache in memory",
      ms(percentile(warm, 50)),
      ms(percentile(warm, 95)),
      ms(Math.min(...warm)),
      `${(coldMedian / percentile(warm, 50)).toFixed(0)}x`,
    ],
    [
      "warm: cache reopened from file",
      ms(percentile(restarted, 50)),
      ms(percentile(restarted, 95)),
      ms(Math.min(...restarted)),
      `${(coldMedian / percentile(restarted, 50)).toFixed(0)}x`,
    ],
  ]),
);
