/**
 * Scan cache under a realistic load: a replay of 200 installs drawn from 20 packages (each install scans its
 * package and 1-3 shared dependencies). Prints the share of pin scans served from the cache (target >= 90%).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScanCache } from "../../src/scan/cache.js";
import { OsvDbScanner } from "../../src/scan/osv-db.js";
import { VulnerabilityScanService } from "../../src/scan/scan-service.js";
import type { ScanPin } from "../../src/scan/types.js";
import { REPO_ROOT } from "../helpers/repo-root.js";

const work = await mkdtemp(join(tmpdir(), "scan-replay-"));
const service = new VulnerabilityScanService({
  scanner: new OsvDbScanner(join(REPO_ROOT, "test", "fixtures", "pypa-advisories")),
  cache: await ScanCache.open({ file: join(work, "cache.json"), ttlHours: 24 }),
  ignore: [],
});
const packages = Array.from({ length: 20 }, (_, i) => ({
  ecosystem: "PyPI" as const,
  name: `pkg-${i}`,
  version: `1.${i % 4}.0`,
}));
const shared: ScanPin[] = [
  { ecosystem: "PyPI" as const, name: "urllib3", version: "2.2.3" },
  { ecosystem: "PyPI" as const, name: "idna", version: "3.10" },
  { ecosystem: "PyPI" as const, name: "certifi", version: "2024.8.30" },
  { ecosystem: "PyPI" as const, name: "numpy", version: "1.26.4" },
];
let seed = 42;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
let pinsAsked = 0;
let scanned = 0;
const t = performance.now();
for (let i = 0; i < 200; i++) {
  const pkg = packages[Math.floor(random() * packages.length)]!;
  const deps = shared.filter(() => random() < 0.5).slice(0, 3);
  const outcome = await service.scan([pkg, ...deps]);
  pinsAsked += 1 + deps.length;
  scanned += outcome.scanned;
}
const elapsed = performance.now() - t;
const share = 1 - scanned / pinsAsked;
console.log(
  `200 installs over 20 packages: ${pinsAsked} pin scans asked, ${scanned} sent to the scanner, ` +
    `${(share * 100).toFixed(1)}% served from the cache (${elapsed.toFixed(0)} ms in all)`,
);
console.log(`target >= 90%: ${share >= 0.9 ? "met" : "MISSED"}`);
await rm(work, { recursive: true, force: true });
