import { createHash, randomUUID } from "node:crypto";
import { normalizeName } from "../policy/names.js";
import { redactSecrets } from "../util/redact.js";

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
  // An operator removed archived audit files; the record names the last seq and hash they held.
  "pruned",
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
  /** What the agent sent; any value (a tool argument may be anything): stored as a bounded excerpt + SHA-256. */
  requested?: unknown;
  skillId?: string | null;
  /** "npm" for npm packages (their names are kept as npm spells them); null or absent: PyPI, or no package. */
  ecosystem?: string | null;
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
  /** SHA-256 of the whole request text, of which `requested` may hold only the first 256 characters. */
  requestedSha256: string | null;
  skillId: string | null;
  ecosystem: string | null;
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
/** What an agent can put into a top-level field (its request, a skill id, a session key) is cut to this. */
export const MAX_FIELD_CHARS = 256;
/** One string inside `details`: longer ones keep an excerpt, their length and their SHA-256. */
export const MAX_DETAIL_STRING_CHARS = 4096;
/** The backstop for a whole `details` object; bounded leaves keep real records (a full pin list) far below it. */
export const MAX_DETAILS_BYTES = 1024 * 1024;
const MAX_DEPTH = 16;
const MAX_ITEMS = 10_000;
const MAX_KEYS = 1000;
const MAX_VULNERABILITIES = 500;

const STRING_FIELDS = [
  "agentId",
  "sessionKey",
  "client",
  "maturity",
  "requested",
  "skillId",
  "ecosystem",
  "package",
  "version",
  "code",
] as const;

const sha256 = (value: string): string => createHash("sha256").update(value, "utf8").digest("hex");

const cut = (value: string, max: number): string => {
  if (value.length <= max) return value;
  // Never leave half of a surrogate pair behind.
  const end = /[\uD800-\uDBFF]/.test(value.charAt(max - 1)) ? max - 1 : max;
  return value.slice(0, end);
};

/** A long string as an excerpt that says what was cut and how to match the whole. */
const excerpt = (value: string, max: number): string =>
  value.length <= max ? value : `${cut(value, max)}…[${value.length} chars, sha256 ${sha256(value)}]`;

/**
 * Any value as JSON-safe data that never throws and stays bounded: depth, item and key counts, string lengths.
 * SECURITY: what an agent sends (tool parameters nested 100,000 deep, an object whose toString is a string, a
 * cycle) must still produce a record; credentials are masked in every string (keys included).
 */
const bounded = (value: unknown, depth: number, ancestors: Set<object>): unknown => {
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string") return excerpt(redactSecrets(value), MAX_DETAIL_STRING_CHARS);
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object") return undefined; // undefined, functions and symbols, as JSON drops them
  if (ancestors.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return `[nested deeper than ${MAX_DEPTH} levels]`;
  let source: unknown = value;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    try {
      source = (value as { toJSON: () => unknown }).toJSON();
    } catch {
      return "[unserializable]";
    }
    if (typeof source !== "object" || source === null) return bounded(source, depth, ancestors);
  }
  ancestors.add(value);
  try {
    if (Array.isArray(source)) {
      const items = source.slice(0, MAX_ITEMS).map((v: unknown) => bounded(v, depth + 1, ancestors) ?? null);
      if (source.length > MAX_ITEMS) items.push(`[${source.length - MAX_ITEMS} more items]`);
      return items;
    }
    const out: Record<string, unknown> = {};
    const keys = Object.keys(source as object);
    for (const key of keys.slice(0, MAX_KEYS)) {
      const v = bounded((source as Record<string, unknown>)[key], depth + 1, ancestors);
      if (v !== undefined) out[excerpt(redactSecrets(key), MAX_FIELD_CHARS)] = v;
    }
    if (keys.length > MAX_KEYS) out["[more keys]"] = keys.length - MAX_KEYS;
    return out;
  } finally {
    ancestors.delete(value);
  }
};

/** A top-level field as bounded text; whatever its type, it never throws. */
const text = (value: unknown, max = MAX_FIELD_CHARS): string | null => {
  if (value === undefined || value === null) return null;
  const raw =
    typeof value === "string"
      ? value
      : typeof value === "number" || typeof value === "boolean" || typeof value === "bigint"
        ? String(value)
        : (JSON.stringify(bounded(value, MAX_DEPTH - 4, new Set())) ?? typeof value);
  return cut(redactSecrets(raw), max);
};

const count = (value: unknown): number =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;

/**
 * Details are made bounded JSON data here, so that the object hashed at append time is exactly the one a reader
 * parses back, and what an agent controls cannot crowd out what we computed (a 2,000-pin set is kept whole).
 */
const boundedDetails = (details: unknown): Record<string, unknown> | null => {
  if (details === undefined || details === null) return null;
  const value = bounded(details, 0, new Set());
  if (value === undefined || value === null) return null;
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes > MAX_DETAILS_BYTES) return { truncated: true, bytes, sha256: sha256(json) };
  return typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
};

export const normalizeInput = (input: AuditInput): AuditBody => {
  if (!(AUDIT_SOURCES as readonly string[]).includes(input.source))
    throw new TypeError(`Unknown audit source: ${text(input.source)}`);
  if (!(AUDIT_STATUSES as readonly string[]).includes(input.status))
    throw new TypeError(`Unknown audit status: ${text(input.status)}`);
  const strings = Object.fromEntries(STRING_FIELDS.map((k) => [k, text(input[k])])) as Record<
    (typeof STRING_FIELDS)[number],
    string | null
  >;
  // Stored PEP 503-normalized, so a query can find a package's records by their exact bytes (query.ts). npm names are
  // case- and separator-exact already (`lodash.merge` is not `lodash-merge`), so they stay as they are.
  if (strings.package !== null && strings.ecosystem !== "npm") strings.package = normalizeName(strings.package);
  // What the agent sent, whole, is matched by its hash; the record keeps a bounded excerpt of it.
  const requested = text(input.requested, Number.MAX_SAFE_INTEGER);
  const vulnerabilities = Array.isArray(input.vulnerabilities)
    ? input.vulnerabilities.slice(0, MAX_VULNERABILITIES).map((v) => cut(text(v) ?? "", 200))
    : [];
  return {
    source: input.source,
    status: input.status,
    ...strings,
    requestedSha256: requested === null ? null : sha256(requested),
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
