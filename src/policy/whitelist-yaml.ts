import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseDocument, stringify } from "yaml";
import { MATURITY_LEVELS, type WhitelistEntryInput } from "../config.js";
import { PackageGuardError } from "../errors.js";
import { isRecord } from "../util/is-record.js";
import { validateRemoved, validateTiers, type WhitelistLayer } from "./whitelist-entry.js";

const TOP_LEVEL_KEYS = ["tiers", "removed"];
// The seed's field order, so a written file reads like the seed's own.
const FIELD_ORDER = [
  "package",
  "ecosystem",
  "version",
  "max_memory_mb",
  "network_access",
  "requires_approval",
  "description",
  "category",
  "extras",
] as const;

const invalid = (source: string, message: string): PackageGuardError =>
  new PackageGuardError("CONFIG_INVALID", `${source}: ${message}`, { details: { source } });

/**
 * The seed's package_whitelist_default.yaml format (`tiers: {student: [...], ...}`), plus optional per-entry
 * `extras`, per-entry `ecosystem: npm` (npm packages in the same tiers) and a top-level `removed` list.
 * Throws CONFIG_INVALID with the source and the path of the problem.
 */
export const parseWhitelistYaml = (text: string, source: string): WhitelistLayer => {
  // SECURITY: the yaml package caps alias expansion (maxAliasCount), so a "billion laughs" file fails instead of
  // growing.
  const doc = parseDocument(text, { uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem) throw invalid(source, `not valid YAML: ${problem.message.split("\n")[0]}`);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw invalid(source, `not valid YAML: ${(error as Error).message}`);
  }
  if (data === null || data === undefined) return { source, tiers: {} };
  if (!isRecord(data)) throw invalid(source, "expected a mapping with a 'tiers' key");
  const unknown = Object.keys(data).filter((k) => !TOP_LEVEL_KEYS.includes(k));
  if (unknown.length > 0)
    throw invalid(source, `unknown top-level key(s): ${unknown.join(", ")} (expected: ${TOP_LEVEL_KEYS.join(", ")})`);
  const rawTiers = data.tiers ?? {};
  if (!isRecord(rawTiers)) throw invalid(source, "tiers: expected a mapping of maturity level to a list of entries");
  // `student:` with nothing under it is YAML null: an empty tier, as the seed system read it.
  const tiers = Object.fromEntries(Object.entries(rawTiers).map(([level, list]) => [level, list ?? []]));
  const layer: WhitelistLayer = { source, tiers: validateTiers(tiers, source) };
  const removed = validateRemoved(data.removed, source);
  if (data.removed !== undefined) layer.removed = removed;
  return layer;
};

const orderedEntry = (entry: WhitelistEntryInput): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const key of FIELD_ORDER) if (entry[key] !== undefined) out[key] = entry[key];
  return out;
};

/** The same format back, tiers in maturity order; parseWhitelistYaml(serializeWhitelistYaml(l)) equals l. */
export const serializeWhitelistYaml = (layer: WhitelistLayer): string => {
  const tiers: Record<string, unknown> = {};
  for (const level of MATURITY_LEVELS) {
    const list = layer.tiers[level];
    if (list !== undefined) tiers[level] = list.map(orderedEntry);
  }
  const data: Record<string, unknown> = { tiers };
  if (layer.removed !== undefined) data.removed = [...layer.removed];
  return (
    `# package-guard whitelist (seed format: tiers.<maturity>: [entries]); later sources win per ` +
    `package.\n${stringify(data, { lineWidth: 0 })}`
  );
};

let defaultLayer: WhitelistLayer | undefined;

/** The shipped default (the seed's list). Resolved from this module, so it works from src/policy and dist/policy. */
export const loadDefaultLayer = (): WhitelistLayer => {
  if (defaultLayer === undefined) {
    const url = new URL("../../config/package_whitelist_default.yaml", import.meta.url);
    defaultLayer = parseWhitelistYaml(readFileSync(url, "utf8"), fileURLToPath(url));
  }
  // A copy: callers (the overlay editor) may mutate what they get.
  return structuredClone(defaultLayer);
};
