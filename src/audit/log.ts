import { chmod, mkdir, open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { PackageGuardError } from "../errors.js";
import { withFileLock } from "../util/file-lock.js";
import { appendDurably, FILE_MODE, quarantineTorn, rotate } from "./files.js";
import { type AuditQuery, queryLog } from "./query.js";
import { type AuditBody, type AuditInput, type AuditRecord, normalizeInput, sealRecord, toLine } from "./record.js";
import { readTail } from "./tail.js";
import { type VerifyResult, verifyLog } from "./verify.js";

// A holder that has not refreshed its lock for this long is presumed dead (crashed mid-append).
const LOCK_STALE_MS = 30_000;

export type { AuditQuery } from "./query.js";
export type { AuditBody, AuditInput, AuditRecord, AuditSource, AuditStatus } from "./record.js";
export { AUDIT_SOURCES, AUDIT_STATUSES } from "./record.js";
export type { VerifyResult } from "./verify.js";

export type AuditLogOptions = {
  rotateBytes?: number;
  lockTimeoutMs?: number;
  now?: () => Date;
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

/** Append-only, hash-chained JSONL audit log, safe to share between processes. */
export class AuditLog {
  readonly file: string;
  private readonly rotateBytes: number;
  private readonly lockTimeoutMs: number;
  private readonly now: () => Date;
  private readonly onAppend: ((record: AuditRecord) => void) | undefined;

  private constructor(file: string, options: AuditLogOptions) {
    this.file = file;
    this.onAppend = options.onAppend;
    this.rotateBytes = positive("rotateBytes", options.rotateBytes, DEFAULT_ROTATE_BYTES);
    this.lockTimeoutMs = positive("lockTimeoutMs", options.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS);
    this.now = options.now ?? (() => new Date());
  }

  static async open(file: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    const log = new AuditLog(resolve(file), options);
    await mkdir(dirname(log.file), { recursive: true, mode: 0o700 });
    const handle = await open(log.file, "a", FILE_MODE);
    await handle.close();
    // An existing log may predate us with looser permissions; it records who installed what.
    await chmod(log.file, FILE_MODE).catch(() => undefined);
    return log;
  }

  async append(input: AuditInput): Promise<AuditRecord> {
    // Normalize before queueing: a bad input fails fast and never holds the lock.
    const body = normalizeInput(input);
    const previous = queues.get(this.file) ?? Promise.resolve();
    const run = previous.then(() =>
      withFileLock(
        this.file,
        { what: `The audit log ${this.file}`, timeoutMs: this.lockTimeoutMs, staleMs: LOCK_STALE_MS },
        (assertHeld) => this.appendLocked(body, assertHeld),
      ),
    );
    const settled = run.catch(() => undefined);
    queues.set(this.file, settled);
    void settled.then(() => {
      if (queues.get(this.file) === settled) queues.delete(this.file);
    });
    if (this.onAppend === undefined) return run;
    const record = await run;
    try {
      this.onAppend(record);
    } catch {
      // A listener's failure must never turn a written record into a failed attempt.
    }
    return record;
  }

  query(q: AuditQuery = {}): Promise<AuditRecord[]> {
    return queryLog(this.file, q);
  }

  verify(): Promise<VerifyResult> {
    return verifyLog(this.file);
  }

  /** Runs under the file lock; `assertHeld` is checked before each write so a lost lock never writes. */
  private async appendLocked(body: AuditBody, assertHeld: () => void): Promise<AuditRecord> {
    const ts = this.now().toISOString();
    const tail = await readTail(this.file);
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
    const record = sealRecord(body, head, ts);
    records.push(record);
    const text = records.map(toLine).join("");
    const kept = tail.tornAt ?? tail.size;
    assertHeld();
    if (kept > 0 && kept + Buffer.byteLength(text, "utf8") > this.rotateBytes) await rotate(this.file);
    await appendDurably(this.file, text);
    return record;
  }
}
