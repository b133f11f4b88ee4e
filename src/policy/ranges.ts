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

/** Whether any clause names a pre- or dev-release (PEP 440: then pre-releases become eligible). */
export const mentionsPrerelease: (spec: string) => boolean = memo((spec) =>
  clausesOf(spec).some((c) => !c.wildcard && explain(c.version)?.is_prerelease === true),
);

/** Both sets at once: `a` then the clauses of `b` that `a` does not already have, canonical. */
export const intersectSpecifiers = (a: string, b: string): string => intersectMemo(`${a}\u0000${b}`);

const intersectMemo = memo((key: string): string => {
  const [a = "", b = ""] = key.split("\u0000");
  const out: Clause[] = [];
  for (const c of [...clausesOf(a), ...clausesOf(b)]) if (!out.some((o) => sameClause(o, c))) out.push(c);
  return formatClauses(out);
});
