import { mkdir, rm } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { isPackageGuardError, PackageGuardError } from "../errors.js";
import { withFileLock } from "../util/file-lock.js";
import { appendDurably, ensureLogFile, quarantineTorn, rotate } from "./files.js";
import { type AuditHead, type HeadKeys, readHead, sealHead, writeHead } from "./head.js";
import { type AuditQuery, queryLog } from "./query.js";
import { archivedFiles, linesBackward, openLogFile } from "./reader.js";
import {
  type AuditBody,
  type AuditInput,
  type AuditRecord,
  normalizeInput,
  parseRecord,
  sealRecord,
  toLine,
} from "./record.js";
import { readTail } from "./tail.js";
import { type VerifyResult, verifyLog } from "./verify.js";

// A holder that has not refreshed its lock for this long is presumed dead. One whose process is gone (killed
// mid-append) loses the lock at once: util/file-lock records the holder's pid.
const LOCK_STALE_MS = 10_000;

export type { AuditQuery } from "./query.js";
export type { AuditBody, AuditInput, AuditRecord, AuditSource, AuditStatus } from "./record.js";
export { AUDIT_SOURCES, AUDIT_STATUSES } from "./record.js";
export type { VerifyResult } from "./verify.js";
export type { AuditHead, HeadKeys } from "./head.js";

export type AuditLogOptions = {
  rotateBytes?: number;
  lockTimeoutMs?: number;
  now?: () => Date;
  /** Signs the head file (audit.signingKey); verify then also checks the signature. */
  keys?: HeadKeys | null;
  /** Told the new head after every append (the gateway writes it to its log: a copy out of the writer's reach). */
  onHead?: (head: AuditHead) => void;
  /** Writes the bytes of an append; replaced only to inject faults (a full disk, a read-only file) in tests. */
  write?: (path: string, text: string) => Promise<void>;
  /** Told of each record once it is written (the gateway log's decision lines); what it throws is ignored. */
  onAppend?: (record: AuditRecord) => void;
};

const DEFAULT_ROTATE_BYTES = 100 * 1024 * 1024;
const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

// Appends from one process queue here first, so they do not spin on each other's file lock.
const queues = new Map<string, Promise<unknown>>();

const positive = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new PackageGuardError("CONFIG_INVALID", `audit ${name} must be a positive number, got ${value}`);
  return value;
};

/**
 * Whatever stops a record from being written becomes AUDIT_UNAVAILABLE: the one code the pipeline acts on by
 * changing nothing (it never touches a venv without a durable record of the attempt).
 */
const unavailable = (file: string, error: unknown): PackageGuardError => {
  if (isPackageGuardError(error) && error.code === "AUDIT_UNAVAILABLE") return error;
  const cause = isPackageGuardError(error)
    ? error.code
    : ((error as NodeJS.ErrnoException).code ?? (error as Error).name ?? "Error");
  const why = isPackageGuardError(error) ? error.message : `${cause}: ${(error as Error).message ?? String(error)}`;
  return new PackageGuardError(
    "AUDIT_UNAVAILABLE",
    `The audit log ${file} cannot take a record (${why}). Nothing is changed that cannot be recorded: free disk ` +
      `space or fix the file and its permissions, then retry`,
    { details: { file, cause }, cause: error },
  );
};

export type PruneResult = { pruned: number; files: string[]; throughSeq: number | null; record: AuditRecord | null };

/** Append-only, hash-chained JSONL audit log, safe to share between processes, anchored by a head file. */
export class AuditLog {
  readonly file: string;
  private readonly rotateBytes: number;
  private readonly lockTimeoutMs: number;
  private readonly now: () => Date;
  private readonly keys: HeadKeys | null;
  private readonly onHead: ((head: AuditHead) => void) | undefined;
  private readonly write: (path: string, text: string) => Promise<void>;
  private readonly onAppend: ((record: AuditRecord) => void) | undefined;

  private constructor(file: string, options: AuditLogOptions) {
    this.file = file;
    this.onAppend = options.onAppend;
    this.rotateBytes = positive("rotateBytes", options.rotateBytes, DEFAULT_ROTATE_BYTES);
    this.lockTimeoutMs = positive("lockTimeoutMs", options.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS);
    this.now = options.now ?? (() => new Date());
    this.keys = options.keys ?? null;
    this.onHead = options.onHead;
    this.write = options.write ?? appendDurably;
  }

  /** Opens (creating) the log; AUDIT_UNAVAILABLE when it cannot be created or is not a regular file. */
  static async open(file: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    const log = new AuditLog(resolve(file), options);
    try {
      await mkdir(dirname(log.file), { recursive: true, mode: 0o700 });
      await ensureLogFile(log.file);
    } catch (error) {
      throw unavailable(log.file, error);
    }
    return log;
  }

  async append(input: AuditInput): Promise<AuditRecord> {
    // Normalize before queueing: a bad input fails fast and never holds the lock.
    const body = normalizeInput(input);
    const records = await this.locked((assertHeld) => this.appendLocked([body], assertHeld));
    const record = records.at(-1)!;
    try {
      this.onAppend?.(record);
    } catch {
      // A listener's failure must never turn a written record into a failed attempt.
    }
    return record;
  }

  query(q: AuditQuery = {}): Promise<AuditRecord[]> {
    return queryLog(this.file, q);
  }

  verify(): Promise<VerifyResult> {
    return verifyLog(this.file, this.keys ? { publicKey: this.keys.publicKey } : {});
  }

  /**
   * An operator's deletion of archived files whose every record is older than `before`. The `pruned` record (last
   * seq and hash removed) is written first, so verify accepts the shortened start, and a crash leaves more, not
   * less. Live and rotated files are never pruned.
   */
  async prune(before: Date, by: Pick<AuditInput, "source" | "client">): Promise<PruneResult> {
    if (Number.isNaN(before.getTime())) throw new TypeError("prune needs a valid date");
    return this.locked(async (assertHeld) => {
      const chosen: { path: string; last: AuditRecord }[] = [];
      for (const path of await archivedFiles(this.file)) {
        const last = await lastRecordOf(path);
        if (!last || !(Date.parse(last.ts) < before.getTime())) break;
        chosen.push({ path, last });
      }
      const through = chosen.at(-1)?.last;
      if (!through) return { pruned: 0, files: [], throughSeq: null, record: null };
      const files = chosen.map((c) => basename(c.path));
      const [record] = await this.appendLocked(
        [
          normalizeInput({
            ...by,
            status: "pruned",
            reason:
              `An operator pruned ${files.length} archived audit file(s) holding only records before ` +
              before.toISOString(),
            details: { throughSeq: through.seq, throughHash: through.hash, files, before: before.toISOString() },
          }),
        ],
        assertHeld,
      );
      for (const c of chosen) await rm(c.path, { force: true });
      return { pruned: files.length, files, throughSeq: through.seq, record: record ?? null };
    });
  }

  /** Runs `fn` under this process's queue and the cross-process lock; any failure is AUDIT_UNAVAILABLE. */
  private locked<T>(fn: (assertHeld: () => void) => Promise<T>): Promise<T> {
    const previous = queues.get(this.file) ?? Promise.resolve();
    const run = previous
      .then(() =>
        withFileLock(this.file, { what: "The audit log", timeoutMs: this.lockTimeoutMs, staleMs: LOCK_STALE_MS }, fn),
      )
      .catch((error: unknown) => {
        throw unavailable(this.file, error);
      });
    const settled = run.catch(() => undefined);
    queues.set(this.file, settled);
    void settled.then(() => {
      if (queues.get(this.file) === settled) queues.delete(this.file);
    });
    return run;
  }

  /** Runs under the file lock; `assertHeld` is checked before each write so a lost lock never writes. */
  private async appendLocked(bodies: AuditBody[], assertHeld: () => void): Promise<AuditRecord[]> {
    const ts = this.now().toISOString();
    const tail = await readTail(this.file);
    const stored = await readHead(this.file);
    const records: AuditRecord[] = [];
    let head = tail.head;
    if (tail.tornAt !== null) {
      assertHeld();
      const moved = await quarantineTorn(this.file, tail.tornAt, tail.size, ts);
      const recovered = sealRecord(
        normalizeInput({
          source: "system",
          status: "recovered",
          reason: `A torn last line (${moved.bytes} bytes, likely a crash mid-write) was moved to ${moved.corruptFile}`,
          details: { bytes: moved.bytes, offset: tail.tornAt, corruptFile: moved.corruptFile },
        }),
        head,
        ts,
      );
      records.push(recovered);
      head = recovered;
    }
    if (stored === null && tail.head !== null && head !== null) {
      // Records but no head: written before heads existed, or the head was deleted. Never silently: say so.
      const anchored = sealRecord(
        normalizeInput({
          source: "system",
          status: "recovered",
          reason:
            `The audit head file was missing; the chain is anchored again at seq ${head.seq}. Unless this log was ` +
            `written by a version without heads, its end may have been cut (audit verify reported head-missing)`,
          details: { anchoredAt: head },
        }),
        head,
        ts,
      );
      records.push(anchored);
      head = anchored;
    } else if (stored !== null && stored !== "unreadable" && stored.seq > (head?.seq ?? 0)) {
      // The log ends before its head: records were deleted. Chain on from the head so the gap stays visible
      // to verify forever, and say so first.
      const gap = sealRecord(
        normalizeInput({
          source: "system",
          status: "recovered",
          reason:
            `The log ended at seq ${head?.seq ?? 0} but its head records seq ${stored.seq}: records were deleted ` +
            `from its end (or its live file); the chain continues from the head`,
          details: { logEndedAt: head?.seq ?? 0, headSeq: stored.seq, headHash: stored.hash },
        }),
        { seq: stored.seq, hash: stored.hash },
        ts,
      );
      records.push(gap);
      head = gap;
    }
    for (const body of bodies) {
      const record = sealRecord(body, head, ts);
      records.push(record);
      head = record;
    }
    const text = records.map(toLine).join("");
    const kept = tail.tornAt ?? tail.size;
    assertHeld();
    if (kept > 0 && kept + Buffer.byteLength(text, "utf8") > this.rotateBytes) await rotate(this.file);
    await this.write(this.file, text);
    const last = records.at(-1)!;
    const next = sealHead({ seq: last.seq, hash: last.hash, ts }, this.keys);
    // The records are durable by now: a head that could not be written only trails the log, which verify allows
    // (it still checks the record at the head's seq), so this append is not reported as lost.
    await writeHead(this.file, next).catch(() => undefined);
    try {
      this.onHead?.(next);
    } catch {
      // a logger that throws must not turn a written record into a failed append
    }
    return records;
  }
}

const lastRecordOf = async (path: string): Promise<AuditRecord | null> => {
  const handle = await openLogFile(path);
  if (handle === null) return null;
  try {
    for await (const line of linesBackward(handle, (await handle.stat()).size, 4096)) {
      const record = line.terminated ? parseRecord(line.bytes.toString("utf8")) : null;
      if (record) return record;
    }
    return null;
  } finally {
    await handle.close();
  }
};
