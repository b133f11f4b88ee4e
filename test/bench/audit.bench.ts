// Audit log throughput and query cost. Run: npx tsx test/bench/audit.bench.ts [appends] [records] [writers] [perWriter]
// Prints figures only; nothing here asserts on time.
import { fork } from "node:child_process";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { AuditLog } from "../../src/audit/log.js";
import { type AuditRecord, normalizeInput, sealRecord, toLine } from "../../src/audit/record.js";

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (n: number): string => `${n.toFixed(3)} ms`;

const benchAppend = async (dir: string, n: number): Promise<void> => {
  const log = await AuditLog.open(join(dir, "append.jsonl"));
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < n; i += 1) {
    const t = performance.now();
    await log.append({
      source: "tool",
      status: "completed",
      agentId: "main",
      skillId: "web",
      package: "requests",
      version: "2.32.3",
      durationMs: 1234,
      details: { i, dependencies: ["certifi", "idna", "urllib3"] },
    });
    times.push(performance.now() - t);
  }
  const total = performance.now() - started;
  times.sort((a, b) => a - b);
  const verified = await log.verify();
  console.log(
    `append  N=${n}: ${(n / (total / 1000)).toFixed(0)} appends/s, p50 ${ms(percentile(times, 50))}, p95 ` +
      `${ms(percentile(times, 95))}, p99 ${ms(percentile(times, 99))} (verify ok=${verified.ok}, ${verified.records} ` +
      `records)`,
  );
};

/** Writes a valid chain directly, in batches: appending 1M records one by one would measure the append path again. */
const buildLog = async (file: string, n: number): Promise<number> => {
  let head: AuditRecord | null = null;
  let lines: string[] = [];
  let bytes = 0;
  await writeFile(file, "");
  for (let i = 0; i < n; i += 1) {
    const pkg = i % 100 === 0 ? "rare-pkg" : `pkg-${i % 37}`;
    head = sealRecord(
      normalizeInput({
        source: "tool",
        status: i % 7 === 0 ? "blocked" : "completed",
        agentId: "main",
        skillId: `skill-${i % 5}`,
        package: pkg,
        version: "1.0.0",
        details: { i },
      }),
      head,
      new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    );
    lines.push(toLine(head));
    if (lines.length === 10_000 || i === n - 1) {
      const text = lines.join("");
      bytes += Buffer.byteLength(text);
      await appendFile(file, text);
      lines = [];
    }
  }
  return bytes;
};

/** 8 processes appending at once to one log: throughput, and nothing lost or torn (verify + count). */
const benchWriters = async (dir: string, writers: number, perWriter: number): Promise<void> => {
  const file = join(dir, "writers.jsonl");
  const child = join(import.meta.dirname, "..", "integration", "audit", "append-child.ts");
  const procs = await Promise.all(
    Array.from(
      { length: writers },
      (_, w) =>
        new Promise<ReturnType<typeof fork>>((resolve) => {
          const p = fork(child, [file, String(perWriter), String(w)], {
            execArgv: ["--import", "tsx"],
            stdio: "inherit",
          });
          p.once("message", () => resolve(p));
        }),
    ),
  );
  const started = performance.now();
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          p.once("exit", () => resolve());
          p.send("go");
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const verified = await (await AuditLog.open(file)).verify();
  const expected = writers * perWriter;
  console.log(
    `writers ${writers} x ${perWriter}: ${(expected / seconds).toFixed(0)} records/s over ${seconds.toFixed(1)} s; ` +
      `verify ok=${verified.ok}, ${verified.records}/${expected} records (${expected - verified.records} lost or torn)`,
  );
};

/** A filtered scan over the whole log (the filter matches nothing, so every line is read): time and peak memory. */
const benchFullScan = async (log: AuditLog): Promise<void> => {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t = performance.now();
  const found = await log.query({ limit: 100, package: "no-such-package" });
  const elapsed = performance.now() - t;
  clearInterval(timer);
  console.log(
    `scan    filtered full scan (no match): ${ms(elapsed)}, ${found.length} found, RSS ` +
      `+${((peak - before) / 1024 / 1024).toFixed(1)} MiB (target <= 1.5 s, memory flat)`,
  );
};

/** The obvious implementation query() replaces: read everything, parse everything, filter, take the newest. */
const naiveQuery = async (file: string, pkg: string | undefined, limit: number): Promise<AuditRecord[]> => {
  const records = (await readFile(file, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);
  return records
    .filter((r) => pkg === undefined || r.package === pkg)
    .toReversed()
    .slice(0, limit);
};

const median = async (runs: number, fn: () => Promise<unknown>): Promise<number> => {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return percentile(
    times.toSorted((a, b) => a - b),
    50,
  );
};

const benchQuery = async (dir: string, n: number): Promise<void> => {
  const file = join(dir, "large.jsonl");
  const bytes = await buildLog(file, n);
  const log = await AuditLog.open(file);
  console.log(`query   on ${n} records (${(bytes / 1024 / 1024).toFixed(1)} MiB), limit 100, median of 7 runs:`);
  console.log(`  ${"case".padEnd(34)} ${"query()".padStart(12)} ${"naive".padStart(12)} ${"naive/query".padStart(12)}`);
  for (const [label, pkg] of [
    ["newest 100", undefined],
    ["package=rare-pkg (1 in 100)", "rare-pkg"],
  ] as const) {
    const fast = await median(7, () => log.query({ limit: 100, ...(pkg ? { package: pkg } : {}) }));
    // The naive baseline cannot even hold a file this large in one string (V8's limit is ~512 MiB).
    const slow = n > 200_000 ? Number.NaN : await median(7, () => naiveQuery(file, pkg, 100));
    const same =
      Number.isNaN(slow) ||
      JSON.stringify(await log.query({ limit: 100, ...(pkg ? { package: pkg } : {}) })) ===
        JSON.stringify(await naiveQuery(file, pkg, 100));
    console.log(
      `  ${label.padEnd(34)} ${ms(fast).padStart(12)} ${ms(slow).padStart(12)} ` +
        `${`${(slow / fast).toFixed(1)}x`.padStart(12)}${same ? "" : "  (RESULTS DIFFER)"}`,
    );
  }
  await benchFullScan(log);
  const verifyMs = await median(1, () => log.verify());
  console.log(`verify  on ${n} records: ${ms(verifyMs)}`);
};

export const runAuditBench = async (
  appends = 2000,
  records = 1_000_000,
  writers = 8,
  perWriter = 5_000,
): Promise<void> => {
  const dir = await mkdtemp(join(tmpdir(), "pg-audit-bench-"));
  try {
    await benchAppend(dir, appends);
    if (writers > 0) await benchWriters(dir, writers, perWriter);
    await benchQuery(dir, records);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [appends = "2000", records = "1000000", writers = "8", perWriter = "5000"] = process.argv.slice(2);
  await runAuditBench(Number(appends), Number(records), Number(writers), Number(perWriter));
}
