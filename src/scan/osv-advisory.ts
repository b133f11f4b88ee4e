import { isRecord } from "../util/is-record.js";

/** The part of the OSV schema (ossf.github.io/osv-schema) that vulnerability matching reads. */
export type OsvEvent = { introduced?: string; fixed?: string; last_affected?: string; limit?: string };
export type OsvRange = { type: string; events: OsvEvent[] };
export type OsvAffected = { package: { name: string; ecosystem: string }; ranges: OsvRange[]; versions: string[] };
export type OsvAdvisory = {
  id: string;
  summary?: string;
  details?: string;
  aliases?: string[];
  withdrawn?: string;
  /** When the record last changed (RFC 3339). */
  modified?: string;
  affected: OsvAffected[];
};

const str = (v: unknown): string | undefined =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(str).filter((s): s is string => s !== undefined) : [];

const toEvent = (raw: unknown): OsvEvent | undefined => {
  if (!isRecord(raw)) return undefined;
  const event: OsvEvent = {};
  for (const key of ["introduced", "fixed", "last_affected", "limit"] as const) {
    const value = str(raw[key]);
    if (value !== undefined) event[key] = value;
  }
  return Object.keys(event).length === 1 ? event : undefined;
};

const toRange = (raw: unknown): OsvRange | undefined => {
  if (!isRecord(raw) || typeof raw.type !== "string" || !Array.isArray(raw.events)) return undefined;
  return { type: raw.type, events: raw.events.map(toEvent).filter((e): e is OsvEvent => e !== undefined) };
};

const toAffected = (raw: unknown): OsvAffected | undefined => {
  if (!isRecord(raw) || !isRecord(raw.package)) return undefined;
  const name = str(raw.package.name);
  const ecosystem = str(raw.package.ecosystem);
  if (name === undefined || ecosystem === undefined) return undefined;
  const ranges = Array.isArray(raw.ranges) ? raw.ranges.map(toRange).filter((r): r is OsvRange => r !== undefined) : [];
  return { package: { name, ecosystem }, ranges, versions: strings(raw.versions) };
};

/**
 * Reads one advisory from parsed YAML/JSON, keeping only well-formed parts. Real data has odd corners
 * (e.g. a withdrawn entry whose `ranges` is a mapping); a malformed part is dropped, not guessed at.
 * Returns undefined when there is no id at all.
 */
export const toAdvisory = (raw: unknown): OsvAdvisory | undefined => {
  if (!isRecord(raw)) return undefined;
  const id = str(raw.id);
  if (!id) return undefined;
  const advisory: OsvAdvisory = {
    id,
    aliases: strings(raw.aliases),
    affected: Array.isArray(raw.affected)
      ? raw.affected.map(toAffected).filter((a): a is OsvAffected => a !== undefined)
      : [],
  };
  const summary = str(raw.summary);
  const details = str(raw.details);
  const withdrawn = str(raw.withdrawn);
  const modified = str(raw.modified);
  if (summary !== undefined) advisory.summary = summary;
  if (modified !== undefined) advisory.modified = modified;
  if (details !== undefined) advisory.details = details;
  if (withdrawn !== undefined) advisory.withdrawn = withdrawn;
  return advisory;
};
