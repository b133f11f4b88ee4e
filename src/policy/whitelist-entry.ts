import { Value } from "typebox/value";
import {
  MATURITY_LEVELS,
  TiersSchema,
  type Ecosystem,
  type Maturity,
  type TiersInput,
  type WhitelistEntryInput,
} from "../config.js";
import { PackageGuardError, isPackageGuardError } from "../errors.js";
import { isValidProjectName, normalizeName } from "./names.js";
import { npmNameProblem } from "./npm-names.js";
import { parseNpmRange } from "./npm-range.js";
import { parseSpecifier } from "./requirement.js";

export type WhitelistEntry = {
  /** PyPI: PEP 503 normalized; npm: as npm spells it (lowercase, validated). The lookup key in its ecosystem. */
  package: string;
  ecosystem: Ecosystem;
  /** As the operator wrote it. */
  displayName: string;
  /** PyPI: canonical PEP 440 specifier; npm: a node-semver range as written. "" = any version. */
  version: string;
  /** The tier that declares this entry. */
  maturity: Maturity;
  max_memory_mb: number | null;
  network_access: boolean;
  requires_approval: boolean;
  description: string;
  category: string | null;
  /** Extras an agent may request (normalized, sorted); none by default. */
  extras: string[];
  /** Which layer declared it (file path, "default", "plugin config" …). */
  source: string;
};

/**
 * One whitelist source. `removed` drops packages declared by earlier layers (the admin overlay uses it): a PyPI
 * name, or `npm:<name>` for an npm package.
 */
export type WhitelistLayer = { source: string; tiers: TiersInput; removed?: string[] };

/** Where a package lives in the whitelist: the PEP 503 name for PyPI, `npm:<name>` for npm (no PyPI name has ':'). */
export const whitelistKey = (ecosystem: Ecosystem, name: string): string =>
  ecosystem === "npm" ? `npm:${name}` : normalizeName(name);

export const ecosystemOf = (entry: Pick<WhitelistEntryInput, "ecosystem">): Ecosystem => entry.ecosystem ?? "PyPI";

const configInvalid = (source: string, path: string, message: string): PackageGuardError =>
  new PackageGuardError("CONFIG_INVALID", `${source}: ${path}: ${message}`, { details: { source, path } });

// "/student/2/version" → "tiers.student[2].version": the form an operator finds in the file.
const toYamlPath = (pointer: string): string =>
  "tiers" +
  pointer
    .split("/")
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join("");

const checkSchema = (tiers: unknown, source: string): void => {
  for (const error of Value.Errors(TiersSchema, tiers)) {
    // TypeBox repeats an additional property as "schema is false" on the property itself; the parent says it better.
    if (error.keyword === "boolean") continue;
    const params = error.params as Record<string, unknown>;
    const message =
      error.keyword === "additionalProperties"
        ? `unknown key(s): ${String(params.additionalProperties)}`
        : error.message;
    throw configInvalid(source, toYamlPath(error.instancePath), message);
  }
};

const checkVersion = (source: string, path: string, version: string, ecosystem: Ecosystem): void => {
  try {
    if (ecosystem === "npm") parseNpmRange(version);
    else parseSpecifier(version);
  } catch (error) {
    if (isPackageGuardError(error)) throw configInvalid(source, path, error.message);
    throw error;
  }
};

/**
 * Validates tiers as the schema, then what the schema cannot: PEP 508 names and extras, PEP 440 ranges,
 * and no package twice in one tier. Throws CONFIG_INVALID naming the source and the path in it.
 */
export const validateTiers = (tiers: unknown, source: string): TiersInput => {
  checkSchema(tiers, source);
  const valid = tiers as TiersInput;
  for (const level of MATURITY_LEVELS) {
    const seen = new Set<string>();
    (valid[level] ?? []).forEach((entry, i) => {
      const at = `tiers.${level}[${i}]`;
      const ecosystem = ecosystemOf(entry);
      if (ecosystem === "npm") checkNpmEntry(source, at, entry);
      else if (!isValidProjectName(entry.package)) {
        throw configInvalid(
          source,
          `${at}.package`,
          `'${entry.package}' is not a valid package name (ASCII letters, digits, '.', '_', '-')`,
        );
      }
      const key = whitelistKey(ecosystem, entry.package);
      if (seen.has(key)) throw configInvalid(source, `${at}.package`, `'${key}' is declared twice in tier ${level}`);
      seen.add(key);
      if (entry.version !== undefined) checkVersion(source, `${at}.version`, entry.version, ecosystem);
      (entry.extras ?? []).forEach((extra, j) => {
        if (!isValidProjectName(extra))
          throw configInvalid(source, `${at}.extras[${j}]`, `'${extra}' is not a valid extra name`);
      });
    });
  }
  return valid;
};

const checkNpmEntry = (source: string, at: string, entry: WhitelistEntryInput): void => {
  const problem = npmNameProblem(entry.package);
  if (problem !== null)
    throw configInvalid(source, `${at}.package`, `'${entry.package}' is not an npm name: ${problem}`);
  // SECURITY: extras are a Python notion; on an npm entry they would read as a promise nothing keeps.
  if (entry.extras !== undefined) throw configInvalid(source, `${at}.extras`, "npm entries have no extras");
};

/** The whitelist keys a `removed` list names: PyPI names (normalized) and `npm:<name>`. */
export const validateRemoved = (removed: unknown, source: string): string[] => {
  if (removed === undefined || removed === null) return [];
  if (!Array.isArray(removed)) throw configInvalid(source, "removed", "must be a list of package names");
  return removed.map((name: unknown, i) => {
    if (typeof name === "string" && name.startsWith("npm:") && npmNameProblem(name.slice(4)) === null) return name;
    if (typeof name !== "string" || !isValidProjectName(name))
      throw configInvalid(source, `removed[${i}]`, `'${String(name)}' is not a valid package name`);
    return normalizeName(name);
  });
};

/** An entry as the policy uses it: normalized, canonical, every field present. Expects validated input. */
export const toEntry = (input: WhitelistEntryInput, maturity: Maturity, source: string): WhitelistEntry => ({
  package: ecosystemOf(input) === "npm" ? input.package : normalizeName(input.package),
  ecosystem: ecosystemOf(input),
  displayName: input.package,
  version: ecosystemOf(input) === "npm" ? parseNpmRange(input.version ?? "") : parseSpecifier(input.version ?? ""),
  maturity,
  max_memory_mb: input.max_memory_mb ?? null,
  network_access: input.network_access ?? false,
  requires_approval: input.requires_approval ?? false,
  description: input.description ?? "",
  category: input.category ?? null,
  extras: [...new Set((input.extras ?? []).map(normalizeName))].toSorted(),
  source,
});
