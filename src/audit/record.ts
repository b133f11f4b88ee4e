import { createHash, randomUUID } from "node:crypto";
import { normalizeName } from "../policy/names.js";

export const AUDIT_SOURCES = ["tool", "rpc", "cli", "hook", "policy", "system", "exec", "widget"] as const;
export const AUDIT_STATUSES = [
  "completed",
  "blocked",
  "failed",
  "uninstalled",
  "rolled_back",
  "interrupted",
  "approval_requested",
  "approval_resolved",
  "whitelist_changed",
  "recovered",
  // A skill's dependency passed policy, resolve and scan at install time (before_install / installPolicy); nothing was
  // installed.
  "vetted",
  // The managed advisory database was replaced (advisories update).
  "advisories_updated",
  // A re-scan of what is installed found a new advisory or malware in a skill's venv.
  "rescan",
  // A skill's venv was made unusable, and later given back (restored or rebuilt).
  "quarantined",
  "quarantine_released",
] as const;

export type AuditSource = (typeof AUDIT_SOURCES)[number];
export type AuditStatus = (typeof AUDIT_STATUSES)[number];

export type AuditInput = {
  source: AuditSource;
  status: AuditStatus;
  agentId?: string | null;
  sessionKey?: string | null;
  client?: string | null;
  maturity?: string | null;
  requested?: string | null;
  skillId?: string | null;
  package?: string | null;
  version?: string | null;
  code?: string | null;
  reason?: string | null;
  vulnerabilitiesFound?: number;
  vulnerabilities?: string[];
  durationMs?: number;
  details?: Record<string, unknown>;
};

/** Every record carries every key, so readers never have to tell "absent" from "null". */
export type AuditBody = {
  source: AuditSource;
  status: AuditStatus;
  agentId: string | null;
  sessionKey: string | null;
  client: string | null;
  maturity: string | null;
  requested: string | null;
  skillId: string | null;
  package: string | null;
  version: string | null;
  code: string | null;
  reason: string | null;
  vulnerabilitiesFound: number;
  vulnerabilities: string[];
  durationMs: number | null;
  details: Record<string, unknown> | null;
};

export type AuditRecord = { id: string; ts: string; seq: number; prev: string | null; hash: string } & AuditBody;

export const MAX_REASON_CHARS = 2000;
export const MAX_DETAILS_BYTES = 16 * 1024;
// Not part of the brief's caps, but `requested` comes straight from an agent and must not bloat the log either.
const MAX_FIELD_CHARS = 2000;
const MAX_VULNERABILITIES = 500;

const STRING_FIELDS = [
  "agentId",
  "sessionKey",
  "client",
  "maturity",
  "requested",
  "skillId",
  "package",
  "version",
  "code",
] as const;

const cut = (value: string, max: number): string => {
  if (value.length <= max) return value;
  // Never leave half of a surrogate pair behind.
  const end = /[\uD800-\uDBFF]/.test(value.charAt(max - 1)) ? max - 1 : max;
  return value.slice(0, end);
};

const text = (value: unknown, max = MAX_FIELD_CHARS): string | null =>
  value === undefined || value === null ? null : cut(String(value), max);

const count = (value: unknown): number =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;

/**
 * Details go through a JSON round trip here so that the object hashed at append time is exactly the one a
 * reader parses back (no undefined, Dates, class instances or bigints that would serialise differently).
 */
const boundedDetails = (details: unknown): Record<string, unknown> | null => {
  if (details === undefined || details === null) return null;
  let json: string | undefined;
  try {
    json = JSON.stringify(details, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  } catch (error) {
    return { unserializable: true, error: error instanceof Error ? error.message : String(error) };
  }
  if (json === undefined) return null;
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes > MAX_DETAILS_BYTES) return { truncated: true, bytes };
  const parsed = JSON.parse(json) as unknown;
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : { value: parsed };
};

export const normalizeInput = (input: AuditInput): AuditBody => {
  if (!(AUDIT_SOURCES as readonly string[]).includes(input.source))
    throw new TypeError(`Unknown audit source: ${String(input.source)}`);
  if (!(AUDIT_STATUSES as readonly string[]).includes(input.status))
    throw new TypeError(`Unknown audit status: ${String(input.status)}`);
  const strings = Object.fromEntries(STRING_FIELDS.map((k) => [k, text(input[k])])) as Record<
    (typeof STRING_FIELDS)[number],
    string | null
  >;
  // Stored PEP 503-normalized, so a query can find a package's records by their exact bytes (query.ts).
  if (strings.package !== null) strings.package = normalizeName(strings.package);
  const vulnerabilities = Array.isArray(input.vulnerabilities)
    ? input.vulnerabilities.slice(0, MAX_VULNERABILITIES).map((v) => cut(String(v), 200))
    : [];
  return {
    source: input.source,
    status: input.status,
    ...strings,
    reason: text(input.reason, MAX_REASON_CHARS),
    vulnerabilitiesFound: count(input.vulnerabilitiesFound),
    vulnerabilities,
    durationMs: typeof input.durationMs === "number" && Number.isFinite(input.durationMs) ? input.durationMs : null,
    details: boundedDetails(input.details),
  };
};

/** Sorted keys at every depth: the hash must not depend on the order a writer happened to emit keys in. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .toSorted()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
};

/** sha256(prev + "\n" + canonical JSON of the record without `hash`); the first record ever hashes "" as prev. */
export const hashRecord = (record: Record<string, unknown>): string => {
  const { hash: _hash, ...rest } = record;
  const prev = typeof rest.prev === "string" ? rest.prev : "";
  return createHash("sha256")
    .update(`${prev}\n${canonicalJson(rest)}`)
    .digest("hex");
};

export type ChainHead = { seq: number; hash: string };

export const sealRecord = (body: AuditBody, head: ChainHead | null, ts: string): AuditRecord => {
  const unsealed = { id: randomUUID(), ts, seq: (head?.seq ?? 0) + 1, prev: head?.hash ?? null, ...body };
  return { ...unsealed, hash: hashRecord(unsealed) };
};

export const toLine = (record: AuditRecord): string => `${JSON.stringify(record)}\n`;

/** Enough shape to chain from or to return from a query; full integrity is verify()'s job. */
export const parseRecord = (line: string): AuditRecord | null => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const r = value as Record<string, unknown>;
  const ok =
    Number.isSafeInteger(r.seq) &&
    typeof r.hash === "string" &&
    typeof r.ts === "string" &&
    (r.prev === null || typeof r.prev === "string");
  return ok ? (value as AuditRecord) : null;
};
