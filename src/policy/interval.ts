import { compare, explain } from "@renovatebot/pep440";
import type { Clause } from "./specifier.js";

/*
 * A specifier set as one interval of versions, plus excluded points (!=X) and excluded ranges (!=X.*).
 * Exclusive ordered comparisons follow @renovatebot/pep440 (and so specifierContains): `<V` admits no
 * version whose release equals V's (no 3.0rc1 under `<3.0`), `>V` admits none either (no 2.0.post1 over `>2.0`).
 * A point may therefore be a real version, or "end of release R": above every version whose release is R.
 */
export type Point = { version: string } | { endOfRelease: number[] };
export type Bound = { point: Point; inclusive: boolean };
export type Interval = {
  lower: Bound | undefined;
  upper: Bound | undefined;
  excludedPoints: string[];
  /** [from, to): from inclusive, to exclusive. */
  excludedRanges: [string, string][];
};

const compareRelease = (a: readonly number[], b: readonly number[]): number => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
};

const versionVsEnd = (version: string, release: readonly number[]): number => {
  const v = explain(version);
  if (v === null) throw new Error(`not a PEP 440 version: ${version}`);
  if (v.epoch > 0) return 1;
  return compareRelease(v.release, release) > 0 ? 1 : -1;
};

export const comparePoints = (a: Point, b: Point): number => {
  if ("version" in a && "version" in b) return Math.sign(compare(a.version, b.version));
  if ("version" in a && "endOfRelease" in b) return versionVsEnd(a.version, b.endOfRelease);
  if ("endOfRelease" in a && "version" in b) return -versionVsEnd(b.version, a.endOfRelease);
  return compareRelease((a as { endOfRelease: number[] }).endOfRelease, (b as { endOfRelease: number[] }).endOfRelease);
};

const releaseOf = (version: string): number[] => explain(version)?.release ?? [];
// The lowest version of a release (2.1 → 2.1.dev0): every 2.1 pre-, dev-, final and post-release is >= it.
const startOf = (release: readonly number[]): string => `${release.join(".")}.dev0`;
const nextPrefix = (release: readonly number[]): number[] => [...release.slice(0, -1), (release.at(-1) ?? 0) + 1];
// Without pre-releases, the first version of a prefix is its final release (2.1.* starts at 2.1, not 2.1.dev0).
const prefixRange = (prefix: string, prereleases: boolean): [string, string] => {
  const release = prefix.split(".").map(Number);
  return [prereleases ? startOf(release) : release.join("."), startOf(nextPrefix(release))];
};

type Constraint = { lower?: Bound; upper?: Bound; excludedPoint?: string; excludedRange?: [string, string] };

const constraintOf = (c: Clause, prereleases: boolean): Constraint => {
  const at = (version: string, inclusive: boolean): Bound => ({ point: { version }, inclusive });
  if (c.wildcard) {
    const [from, to] = prefixRange(c.version, prereleases);
    return c.op === "==" ? { lower: at(from, true), upper: at(to, false) } : { excludedRange: [from, to] };
  }
  switch (c.op) {
    case "==":
      return { lower: at(c.version, true), upper: at(c.version, true) };
    case "!=":
      return { excludedPoint: c.version };
    case ">=":
      return { lower: at(c.version, true) };
    case "<=":
      return { upper: at(c.version, true) };
    case ">":
      return { lower: { point: { endOfRelease: releaseOf(c.version) }, inclusive: false } };
    case "<":
      return { upper: at(startOf(releaseOf(c.version)), false) };
    case "~=": {
      // PEP 440: ~=2.2.1 is >=2.2.1,==2.2.*
      const release = releaseOf(c.version);
      return { lower: at(c.version, true), upper: at(startOf(nextPrefix(release.slice(0, -1))), false) };
    }
  }
};

// For lowers the larger wins, for uppers the smaller; at the same point the exclusive one is tighter.
const tighter = (a: Bound | undefined, b: Bound | undefined, sign: 1 | -1): Bound | undefined => {
  if (!a) return b;
  if (!b) return a;
  const c = comparePoints(a.point, b.point) * sign;
  if (c !== 0) return c > 0 ? a : b;
  return a.inclusive ? b : a;
};

/**
 * `prereleases: false` models the set as an installer sees it when pre-releases are not eligible: only the
 * lower edge of a prefix moves (an upper edge at X.dev0 excludes the same final releases as one at X).
 */
export const toInterval = (clauses: readonly Clause[], prereleases: boolean): Interval => {
  const out: Interval = { lower: undefined, upper: undefined, excludedPoints: [], excludedRanges: [] };
  for (const clause of clauses) {
    const c = constraintOf(clause, prereleases);
    out.lower = tighter(out.lower, c.lower, 1);
    out.upper = tighter(out.upper, c.upper, -1);
    if (c.excludedPoint !== undefined) out.excludedPoints.push(c.excludedPoint);
    if (c.excludedRange !== undefined) out.excludedRanges.push(c.excludedRange);
  }
  return out;
};

const inRange = (p: Point, [from, to]: [string, string]): boolean =>
  comparePoints(p, { version: from }) >= 0 && comparePoints(p, { version: to }) < 0;

/** Whether version point `p` lies outside `i` or is excluded by it. */
const pointExcluded = (i: Interval, version: string): boolean => {
  const p: Point = { version };
  if (i.lower) {
    const c = comparePoints(p, i.lower.point);
    if (c < 0 || (c === 0 && !i.lower.inclusive)) return true;
  }
  if (i.upper) {
    const c = comparePoints(p, i.upper.point);
    if (c > 0 || (c === 0 && !i.upper.inclusive)) return true;
  }
  return i.excludedPoints.some((x) => compare(x, version) === 0) || i.excludedRanges.some((r) => inRange(p, r));
};

export const isEmpty = (i: Interval): boolean => {
  if (!i.lower || !i.upper) return false;
  const c = comparePoints(i.lower.point, i.upper.point);
  if (c > 0 || (c === 0 && !(i.lower.inclusive && i.upper.inclusive))) return true;
  if (c === 0 && "version" in i.lower.point) return pointExcluded(i, i.lower.point.version);
  const { lower, upper } = i;
  // The whole interval inside one excluded prefix, e.g. '>=2.1,<2.1.5,!=2.1.*'.
  return i.excludedRanges.some(
    ([from, to]) =>
      comparePoints({ version: from }, lower.point) <= 0 &&
      (comparePoints(upper.point, { version: to }) < 0 ||
        (comparePoints(upper.point, { version: to }) === 0 && !upper.inclusive)),
  );
};

const lowerWithin = (inner: Bound | undefined, outer: Bound | undefined): boolean => {
  if (!outer) return true;
  if (!inner) return false;
  const c = comparePoints(inner.point, outer.point);
  return c > 0 || (c === 0 && (outer.inclusive || !inner.inclusive));
};

const upperWithin = (inner: Bound | undefined, outer: Bound | undefined): boolean => {
  if (!outer) return true;
  if (!inner) return false;
  const c = comparePoints(inner.point, outer.point);
  return c < 0 || (c === 0 && (outer.inclusive || !inner.inclusive));
};

const rangeAvoided = (inner: Interval, [from, to]: [string, string]): boolean => {
  if (inner.upper) {
    const c = comparePoints(inner.upper.point, { version: from });
    if (c < 0 || (c === 0 && !inner.upper.inclusive)) return true;
  }
  if (inner.lower && comparePoints(inner.lower.point, { version: to }) >= 0) return true;
  return inner.excludedRanges.some(([f, t]) => compare(f, from) <= 0 && compare(t, to) >= 0);
};

/** Every version in `inner` is in `outer`. An empty `inner` is not "within": the caller reports it. */
export const intervalWithin = (inner: Interval, outer: Interval): boolean =>
  !isEmpty(inner) &&
  lowerWithin(inner.lower, outer.lower) &&
  upperWithin(inner.upper, outer.upper) &&
  outer.excludedPoints.every((x) => pointExcluded(inner, x)) &&
  outer.excludedRanges.every((r) => rangeAvoided(inner, r));
