import { distance } from "fastest-levenshtein";

// PEP 508 names are ASCII only. No `m` flag: "$" must not match before a trailing newline.
const PROJECT_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
export const MAX_NAME_LENGTH = 100;

/** PEP 508 project name check on the raw text, before any normalization. */
export const isValidProjectName = (raw: string): boolean =>
  typeof raw === "string" && raw.length <= MAX_NAME_LENGTH && PROJECT_NAME.test(raw);

/**
 * PEP 503: `re.sub(r"[-_.]+", "-", name).lower()`. `Pandas` is `pandas`, while `pan_das` is `pan-das`,
 * a different (possibly attacker-owned) project. Callers validate with isValidProjectName first.
 */
export const normalizeName = (name: string): string => name.replace(/[-_.]+/g, "-").toLowerCase();

// Separators removed or swapped (`scikitlearn`, `scikit_learn`) and the usual "python" affixes are typos, not new
// names.
const squash = (name: string): string =>
  name
    .replace(/^(?:python|py)-?/, "")
    .replace(/-(?:python|py)$/, "")
    .replace(/-/g, "");

const allowedDistance = (name: string): number => (name.length <= 4 ? 1 : name.length <= 8 ? 2 : 3);

/**
 * "Did you mean" candidates for a name that missed the whitelist, closest first.
 * SECURITY: a hint only; the requested name is never rewritten into one of these.
 */
export const suggestSimilar = (name: string, candidates: Iterable<string>, max = 3): string[] => {
  const wanted = normalizeName(name);
  const wantedSquashed = squash(wanted);
  const scored: { name: string; score: number }[] = [];
  for (const raw of new Set(candidates)) {
    const candidate = normalizeName(raw);
    if (candidate === wanted) continue;
    const squashed = squash(candidate);
    const score =
      squashed === wantedSquashed && squashed.length > 0
        ? 0
        : Math.min(distance(wanted, candidate), distance(wantedSquashed, squashed));
    if (score <= allowedDistance(candidate)) scored.push({ name: candidate, score });
  }
  scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  return [...new Set(scored.map((s) => s.name))].slice(0, Math.max(0, max));
};
