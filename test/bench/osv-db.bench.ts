/**
 * The offline scanner on its own (no ScanCache): 100 pins against a generated 10,000-advisory directory in the
 * PyPA layout. First scan (reads + parses the YAML of the 100 packages' folders) vs. later scans (parsed folders
 * reused while their mtime is unchanged). Issue target: < 10 ms after load.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { OsvDbScanner } from "../../src/scan/osv-db.js";
import { percentile, table } from "./stats.js";

const PACKAGES = 1_000;
const PER_PACKAGE = 10;
const dir = await mkdtemp(join(tmpdir(), "osv-db-bench-"));
for (let p = 0; p < PACKAGES; p++) {
  const folder = join(dir, "vulns", `pkg-${p}`);
  await mkdir(folder, { recursive: true });
  for (let a = 0; a < PER_PACKAGE; a++) {
    const id = `PYSEC-2099-${p * PER_PACKAGE + a}`;
    await writeFile(
      join(folder, `${id}.yaml`),
      stringify({
        id,
        aliases: [`CVE-2099-${p * PER_PACKAGE + a}`],
        modified: "2099-01-01T00:00:00Z",
        affected: [
          {
            package: { name: `pkg-${p}`, ecosystem: "PyPI" },
            ranges: [{ type: "ECOSYSTEM", events: [{ introduced: `${a}.0` }, { fixed: `${a}.5` }] }],
            versions: [`${a}.0`, `${a}.1`],
          },
        ],
      }),
    );
  }
}
const pins = Array.from({ length: 100 }, (_, i) => ({
  ecosystem: "PyPI" as const,
  name: `pkg-${(i * 7) % PACKAGES}`,
  version: `${i % PER_PACKAGE}.${i % 7}`,
}));
const scanner = new OsvDbScanner(dir);
const t0 = process.hrtime.bigint();
const first = await scanner.scan(pins);
const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
const later: number[] = [];
for (let i = 0; i < 30; i++) {
  const t = process.hrtime.bigint();
  await scanner.scan(pins);
  later.push(Number(process.hrtime.bigint() - t) / 1e6);
}
const findings = [...first.values()].reduce((n, f) => n + f.length, 0);
console.log(`osv-db: ${PACKAGES * PER_PACKAGE} advisories in ${PACKAGES} folders; 100 pins, ${findings} findings`);
console.log(
  table([
    ["case", "ms (median)", "p95", "first/this"],
    ["first scan (read + parse)", loadMs.toFixed(2), "", "1.0x"],
    [
      "after load",
      percentile(later, 50).toFixed(2),
      percentile(later, 95).toFixed(2),
      `${(loadMs / percentile(later, 50)).toFixed(0)}x`,
    ],
  ]),
);
console.log(`target < 10 ms after load: ${percentile(later, 50) < 10 ? "met" : "MISSED"}`);
await rm(dir, { recursive: true, force: true });
