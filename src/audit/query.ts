import type { FileHandle } from "node:fs/promises";
import { PackageGuardError } from "../errors.js";
import { normalizeName } from "../policy/names.js";
import { allLogFiles, lineBatchesBackward, openLogFile } from "./reader.js";
import { type AuditRecord, type AuditStatus, parseRecord } from "./record.js";

export type AuditQuery = {
  limit?: number;
  package?: string;
  skillId?: string;
  agentId?: string;
  status?: AuditStatus;
  since?: string;
  /** Only records of this ecosystem ("PyPI" matches records without one). */
  ecosystem?: string;
};

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;

// PEP 503 form, so "Requests" finds the records of "requests" (records store normalized names); npm names are exact.
const packageKey = normalizeName;
const isNpm = (ecosystem: string | null | undefined): boolean => ecosystem === "npm";

// The package bytes a matching record must hold: exact for npm; for PyPI the normalized form, which an npm record of
// that name holds too when the name is already normalized. A name that is neither ("lodash.merge" with no ecosystem
// given) may be stored either way: no needle then.
const packageNeedle = (q: AuditQuery): string | undefined => {
  if (!q.package) return undefined;
  if (isNpm(q.ecosystem)) return q.package;
  const key = packageKey(q.package);
  return q.ecosystem !== undefined || key === q.package ? key : undefined;
};

/**
 * Byte strings every matching line must contain (records are written with JSON.stringify, no spaces), so a
 * filtered scan skips JSON.parse for the lines that cannot match. A necessary condition only: matcher() decides.
 */
const needlesOf = (q: AuditQuery): Buffer[] => {
  const field = (key: string, value: string | undefined | null): Buffer[] =>
    value ? [Buffer.from(`${JSON.stringify(key)}:${JSON.stringify(value)}`)] : [];
  return [
    ...field("package", packageNeedle(q)),
    ...field("skillId", q.skillId),
    ...field("agentId", q.agentId),
    ...field("status", q.status),
  ];
};

const clampLimit = (limit: number | undefined): number =>
  limit === undefined || !Number.isFinite(limit) ? DEFAULT_LIMIT : Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));

export const matcher = (q: AuditQuery): ((r: AuditRecord) => boolean) => {
  let since: number | null = null;
  if (q.since !== undefined && q.since !== null && q.since !== "") {
    since = Date.parse(q.since);
    if (Number.isNaN(since))
      throw new PackageGuardError("CONFIG_INVALID", `'since' must be an ISO timestamp, got '${q.since}'`, {
        details: { since: q.since },
      });
  }
  const pkg = q.package || null;
  const samePackage = (r: AuditRecord): boolean =>
    typeof r.package === "string" &&
    pkg !== null &&
    (isNpm(r.ecosystem) ? r.package === pkg : packageKey(r.package) === packageKey(pkg));
  const sameEcosystem = (r: AuditRecord): boolean =>
    q.ecosystem === undefined || (isNpm(q.ecosystem) ? isNpm(r.ecosystem) : !isNpm(r.ecosystem));
  return (r) =>
    (pkg === null || samePackage(r)) &&
    sameEcosystem(r) &&
    (!q.skillId || r.skillId === q.skillId) &&
    (!q.agentId || r.agentId === q.agentId) &&
    (!q.status || r.status === q.status) &&
    (since === null || Date.parse(r.ts) >= since);
};

/**
 * Handles to the live file and every rotated and archived one, opened up front so a rotation during the read cannot
 * make us miss a file; a rename seen halfway shows up as the same inode twice, and the second is dropped.
 */
const openAll = async (file: string): Promise<{ handle: FileHandle; size: number }[]> => {
  const opened: { handle: FileHandle; size: number }[] = [];
  const seen = new Set<string>();
  for (const path of await allLogFiles(file)) {
    let handle: FileHandle | null;
    try {
      handle = await openLogFile(path);
    } catch (error) {
      await Promise.all(opened.map((o) => o.handle.close()));
      throw error;
    }
    if (handle === null) continue;
    const s = await handle.stat();
    const key = `${s.dev}:${s.ino}`;
    if (seen.has(key)) await handle.close();
    else {
      seen.add(key);
      opened.push({ handle, size: s.size });
    }
  }
  return opened;
};

/** Newest first, reading backwards and stopping at `limit` matches; lines that do not parse are skipped. */
export const queryLog = async (file: string, q: AuditQuery = {}): Promise<AuditRecord[]> => {
  const limit = clampLimit(q.limit);
  const matches = matcher(q);
  const needles = needlesOf(q);
  const out: AuditRecord[] = [];
  const files = await openAll(file);
  try {
    for (const { handle, size } of files) {
      // Small chunks first (the newest 100 are usually in the first one), then larger ones for a long scan.
      const skip = needles.length > 0 ? (region: Buffer) => needles.some((n) => region.indexOf(n) < 0) : undefined;
      for await (const batch of lineBatchesBackward(handle, size, needles.length > 0 ? 1024 * 1024 : 64 * 1024, skip)) {
        for (const line of batch) {
          if (!line.terminated) continue;
          if (needles.some((n) => line.bytes.indexOf(n) < 0)) continue;
          const record = parseRecord(line.bytes.toString("utf8"));
          if (record && matches(record)) {
            out.push(record);
            if (out.length >= limit) return out;
          }
        }
      }
    }
    return out;
  } finally {
    await Promise.all(files.map((f) => f.handle.close()));
  }
};
