import { explain, satisfies, valid } from "@renovatebot/pep440";
import { memo } from "../util/memo.js";
import { intervalWithin, isEmpty, toInterval } from "./interval.js";
import { formatClauses, parseClauses, sameClause, type Clause } from "./specifier.js";

// Ranges here are canonical specifiers (parseSpecifier output); anything else throws INVALID_REQUIREMENT.
const clausesOf: (spec: string) => readonly Clause[] = memo((spec) => Object.freeze(parseClauses(spec)));

/**
 * Whether a concrete version satisfies `spec`. Pre-releases only with `prereleases: true`.
 * Note (PEP 440, and the library): `==1.0` contains `1.0+local`; requests can't name local versions, pins may.
 */
export const specifierContains = (spec: string, version: string, options: { prereleases?: boolean } = {}): boolean => {
  clausesOf(spec);
  if (valid(version) === null) return false;
  return satisfies(version, spec, { prereleases: options.prereleases === true });
};

/**
 * True iff every version matched by `inner` is matched by `outer`; false when `inner` matches nothing.
 * Pre-releases count only with `prereleases: true` (then `==2.*` is not within `>=2.0`: 2.0rc1 is in one only).
 */
export const specifierWithin = (inner: string, outer: string, options: { prereleases?: boolean } = {}): boolean =>
  withinMemo(`${options.prereleases === true ? "p" : "f"}\u0000${inner}\u0000${outer}`);

const withinMemo = memo((key: string): boolean => {
  const [mode, inner = "", outer = ""] = key.split("\u0000");
  const prereleases = mode === "p";
  return intervalWithin(toInterval([...clausesOf(inner)], prereleases), toInterval([...clausesOf(outer)], prereleases));
});

/** True when no version can satisfy `spec`, e.g. '>=3,<2' or '==2.0,!=2.0'. */
export const specifierIsEmpty: (spec: string) => boolean = memo((spec) =>
  isEmpty(toInterval([...clausesOf(spec)], true)),
);

const namesPrerelease = (c: Clause): boolean => !c.wildcard && explain(c.version)?.is_prerelease === true;

/** Whether any clause names a pre- or dev-release (PEP 440: then pre-releases become eligible). */
export const mentionsPrerelease: (spec: string) => boolean = memo((spec) => clausesOf(spec).some(namesPrerelease));

/**
 * Both sets at once, as few clauses as say it: `a`'s clauses, then `b`'s, with every clause the others already imply
 * left out (`>=1.20` and `>=1.24.0,<2.0.0` give `>=1.24.0,<2.0.0`). Canonical.
 */
export const intersectSpecifiers = (a: string, b: string): string => intersectMemo(`${a}\u0000${b}`);

const intersectMemo = memo((key: string): string => {
  const [a = "", b = ""] = key.split("\u0000");
  const out: Clause[] = [];
  for (const c of [...clausesOf(a), ...clausesOf(b)]) if (!out.some((o) => sameClause(o, c))) out.push(c);
  return formatClauses(withoutImplied(out));
});

// Compared as the installer sees the set: pre-releases count only when a clause names one (PEP 440). Later clauses go
// first, so of two that say the same the request's own wording stays.
const withoutImplied = (clauses: readonly Clause[]): Clause[] => {
  const prereleases = clauses.some(namesPrerelease);
  let kept = [...clauses];
  for (const clause of clauses.toReversed()) {
    const rest = kept.filter((k) => k !== clause);
    if (rest.length === 0) continue;
    // The clause that makes pre-releases eligible stays, unless another one does that too.
    if (namesPrerelease(clause) && !rest.some(namesPrerelease)) continue;
    if (intervalWithin(toInterval(rest, prereleases), toInterval([clause], prereleases))) kept = rest;
  }
  return kept;
};
