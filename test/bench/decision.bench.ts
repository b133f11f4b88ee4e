/**
 * Decision latency: parse + normalize + policy against a 5,000-entry whitelist (issue target: p99 <= 20 µs),
 * side by side with a baseline that only normalizes the name and does a Map lookup.
 */
import { evaluate } from "../../src/policy/decide.js";
import { normalizeName } from "../../src/policy/names.js";
import { parseRequirement } from "../../src/policy/requirement.js";
import { Whitelist } from "../../src/policy/whitelist.js";
import { percentile, table } from "./stats.js";

const N = 5_000;
const names = Array.from({ length: N }, (_, i) => `pkg-${i.toString(36)}-lib`);
const whitelist = Whitelist.fromLayers([
  {
    source: "bench",
    tiers: {
      student: names.slice(0, N / 2).map((package_) => ({ package: package_, version: ">=1.0,<3" })),
      intern: names.slice(N / 2).map((package_) => ({ package: package_, version: ">=2.0" })),
    },
  },
]);
const requests = Array.from({ length: 2_000 }, (_, i) => {
  const name = names[(i * 7919) % N]!;
  return i % 3 === 0 ? name.toUpperCase() : i % 3 === 1 ? `${name}>=2.1,<2.9` : `${name}==2.5.1`;
});
const baselineMap = new Map(names.map((n) => [n, true]));

const measure = (fn: (r: string) => unknown, rounds: number): number[] => {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const r of requests) {
      const t = process.hrtime.bigint();
      try {
        fn(r);
      } catch {
        /* denials are decisions too */
      }
      samples.push(Number(process.hrtime.bigint() - t) / 1_000);
    }
  }
  return samples;
};

const decide = (r: string) => evaluate(whitelist, parseRequirement(r), "intern");
const baseline = (r: string) => baselineMap.get(normalizeName(r.split(/[<>=!~]/)[0]!));
measure(decide, 3); // warm-up (JIT)
measure(baseline, 3);
const d = measure(decide, 10);
const b = measure(baseline, 10);
// Worst case for the memoized PEP 440 parsing: every request carries a specifier never seen before.
const unique = Array.from({ length: 20_000 }, (_, i) => `${names[i % N]!}>=2.${i},<9`);
const cold: number[] = [];
for (const r of unique) {
  const t = process.hrtime.bigint();
  try {
    decide(r);
  } catch {
    /* a denial is a decision */
  }
  cold.push(Number(process.hrtime.bigint() - t) / 1_000);
}
console.log(`decision latency, ${N}-entry whitelist, ${d.length} decisions (µs)`);
console.log(
  table([
    ["", "p50", "p99", "max"],
    [
      "parse+normalize+policy",
      percentile(d, 50).toFixed(2),
      percentile(d, 99).toFixed(2),
      percentile(d, 100).toFixed(1),
    ],
    [
      "same, every specifier new (cold)",
      percentile(cold, 50).toFixed(2),
      percentile(cold, 99).toFixed(2),
      percentile(cold, 100).toFixed(1),
    ],
    [
      "baseline (normalize + Map.get)",
      percentile(b, 50).toFixed(2),
      percentile(b, 99).toFixed(2),
      percentile(b, 100).toFixed(1),
    ],
    [
      "ratio",
      (percentile(d, 50) / percentile(b, 50)).toFixed(1),
      (percentile(d, 99) / percentile(b, 99)).toFixed(1),
      "",
    ],
  ]),
);
console.log(`target p99 <= 20 µs: ${percentile(d, 99) <= 20 ? "met" : "MISSED"}`);
