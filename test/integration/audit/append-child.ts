// Forked by multiprocess.test.ts: appends `count` records to one shared log once the parent says "go".
import { AuditLog } from "../../../src/audit/log.js";

const [file, countArg, child] = process.argv.slice(2);
if (!file || !countArg || !child || !process.send)
  throw new Error("usage: append-child <file> <count> <child> (forked with IPC)");
const count = Number(countArg);

const log = await AuditLog.open(file);
process.once("message", async () => {
  // All at once: the in-process queue and the cross-process lock are both exercised.
  const records = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      log.append({ source: "cli", status: "completed", package: `pkg-${i}`, details: { child, i, pid: process.pid } }),
    ),
  );
  process.send!({ seqs: records.map((r) => r.seq) }, undefined, {}, () => process.exit(0));
});
process.send({ ready: true });
