import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../../src/audit/log.js";

const CHILD = fileURLToPath(new URL("./append-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CHILDREN = 4;
const PER_CHILD = 50;

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const once = <T>(child: ChildProcess, predicate: (m: T) => boolean): Promise<T> =>
  new Promise((resolve, reject) => {
    const onMessage = (m: T) => {
      if (!predicate(m)) return;
      child.off("message", onMessage);
      resolve(m);
    };
    child.on("message", onMessage);
    child.once("exit", (code) => reject(new Error(`child exited with ${code} before replying`)));
  });

describe("several processes appending to one log", () => {
  it("keeps one unbroken chain with contiguous, unique seqs", async () => {
    dir = await mkdtemp(join(tmpdir(), "pg-audit-mp-"));
    const file = join(dir, "audit.jsonl");
    const children = Array.from({ length: CHILDREN }, (_, i) =>
      fork(CHILD, [file, String(PER_CHILD), `child-${i}`], {
        cwd: ROOT,
        execPath: process.execPath,
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      }),
    );
    try {
      await Promise.all(children.map((c) => once<{ ready?: boolean }>(c, (m) => m.ready === true)));
      const done = children.map((c) => once<{ seqs?: number[] }>(c, (m) => Array.isArray(m.seqs)));
      for (const c of children) c.send("go");
      const reported = (await Promise.all(done)).flatMap((m) => m.seqs!);
      expect(new Set(reported).size).toBe(CHILDREN * PER_CHILD);
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill();
    }

    const log = await AuditLog.open(file);
    expect(await log.verify()).toEqual({ ok: true, records: CHILDREN * PER_CHILD, files: 1 });
    const records = await log.query({ limit: 500 });
    expect(records.map((r) => r.seq).toSorted((a, b) => a - b)).toEqual(
      Array.from({ length: CHILDREN * PER_CHILD }, (_, i) => i + 1),
    );
    const perChild = new Map<unknown, number>();
    for (const r of records) perChild.set(r.details?.child, (perChild.get(r.details?.child) ?? 0) + 1);
    expect([...perChild.entries()].toSorted()).toEqual(
      Array.from({ length: CHILDREN }, (_, i) => [`child-${i}`, PER_CHILD]),
    );
  });
});
