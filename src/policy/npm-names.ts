import { distance } from "fastest-levenshtein";
import validate from "validate-npm-package-name";

/** npm's own limit for new names. */
export const MAX_NPM_NAME_LENGTH = 214;
// Printable ASCII, lowercase: checked on the raw text before anything else looks at it.
const SHAPE = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/**
 * Why `raw` is not an npm name package-guard accepts, or null when it is one. npm's rules (validate-npm-package-name:
 * URL-safe, no leading '.' or '_', reserved names) plus ours: lowercase ASCII only, so `Lodash` and `ＬODASH` can
 * never stand for `lodash`, and at most 214 characters. Legacy uppercase names (`JSONStream`) are refused.
 */
export const npmNameProblem = (raw: unknown): string | null => {
  if (typeof raw !== "string" || raw.length === 0) return "an npm package name is a non-empty string";
  if (raw.length > MAX_NPM_NAME_LENGTH) return `npm package names have at most ${MAX_NPM_NAME_LENGTH} characters`;
  // oxlint-disable-next-line no-control-regex -- any byte outside printable ASCII is the point
  if (/[^\x21-\x7e]/.test(raw)) return "npm package names are printable ASCII without spaces";
  if (/[A-Z]/.test(raw)) return "npm package names are lowercase (a name with capitals is another package)";
  const result = validate(raw);
  if (!result.validForOldPackages) return result.errors?.[0] ?? "not a valid npm package name";
  if (!SHAPE.test(raw)) return "npm package names are '<name>' or '@<scope>/<name>' of letters, digits, '.', '_', '-'";
  return null;
};

export const isValidNpmName = (raw: unknown): raw is string => npmNameProblem(raw) === null;

/**
 * A name as it may appear inside a resolved tree or reach a scanner: npm's rules for existing packages (legacy
 * uppercase names such as `JSONStream` are real dependencies), printable ASCII, no `.`/`..`. Requests and whitelist
 * entries use the stricter npmNameProblem.
 */
export const isNpmTreeName = (name: unknown): name is string =>
  typeof name === "string" &&
  name.length <= MAX_NPM_NAME_LENGTH &&
  /^[\x21-\x7e]+$/.test(name) &&
  name !== "." &&
  name !== ".." &&
  validate(name).validForOldPackages;

const split = (name: string): { scope: string; bare: string } => {
  const slash = name.indexOf("/");
  return name.startsWith("@") && slash > 0
    ? { scope: name.slice(0, slash), bare: name.slice(slash + 1) }
    : { scope: "", bare: name };
};

// `lodash.merge`, `lodash-merge` and `lodashmerge` are typos of one another, as are the usual node/js affixes.
const squash = (bare: string): string =>
  bare
    .replace(/^node-/, "")
    .replace(/[.-]?js$/, "")
    .replace(/[._-]/g, "");

const allowedDistance = (name: string): number => (name.length <= 4 ? 1 : name.length <= 8 ? 2 : 3);

const score = (wanted: string, candidate: string): number => {
  const a = split(wanted);
  const b = split(candidate);
  const sa = squash(a.bare);
  const sb = squash(b.bare);
  // A look-alike scope with the same package (`@acrne/widget` for `@acme/widget`) is a typo of the whole name.
  const bareScore = sa === sb && sa.length > 0 ? 0 : Math.min(distance(a.bare, b.bare), distance(sa, sb));
  const scopeScore = a.scope === b.scope ? 0 : distance(a.scope, b.scope);
  return bareScore + scopeScore;
};

/**
 * "Did you mean" candidates for an npm name that missed the whitelist, closest first, spelled as listed.
 * SECURITY: a hint only; the requested name is never rewritten into one of these.
 */
export const suggestSimilarNpm = (name: string, candidates: Iterable<string>, max = 3): string[] => {
  const wanted = name.toLowerCase();
  const scored: { name: string; score: number }[] = [];
  for (const candidate of new Set(candidates)) {
    if (candidate === wanted) continue;
    const s = score(wanted, candidate);
    if (s <= allowedDistance(candidate)) scored.push({ name: candidate, score: s });
  }
  scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  return scored.map((s) => s.name).slice(0, Math.max(0, max));
};
