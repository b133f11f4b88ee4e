import semver from "semver";
import { invalidRequirement, quote } from "./invalid.js";

export const MAX_NPM_RANGE_LENGTH = 200;
// The characters of node-semver's range grammar; anything else (a URL, a path, an option, a newline) is not a range.
const RANGE_CHARS = /^[0-9A-Za-z.+\-<>=~^|* ]*$/;
// Leading "v" and "=" are legal node-semver, but not letters that would make a word: `latest`, `next`, `beta`.
const TAG_LIKE = /^[A-Za-z][A-Za-z0-9._-]*$/;

/**
 * A node-semver range as given (trimmed), after checking it is one: "" and "*" mean any version. Dist-tags
 * (`latest`, `next`) are refused: they name whatever the registry says today, not a range anyone approved.
 */
export const parseNpmRange = (raw: string): string => {
  // Checked before trimming: a newline or tab is not padding but an attempt to start another line or argument.
  if (!RANGE_CHARS.test(raw)) {
    throw invalidRequirement("npm-range", `${quote(raw)} is not an npm version range; use e.g. '^4.17.21'`, {
      range: raw.slice(0, 80),
    });
  }
  const text = raw.trim();
  if (text.length > MAX_NPM_RANGE_LENGTH)
    throw invalidRequirement("too-long", `An npm version range has at most ${MAX_NPM_RANGE_LENGTH} characters`);
  if (text === "") return "";
  if (TAG_LIKE.test(text) && text !== "x" && text !== "X" && !/^v\d/.test(text)) {
    throw invalidRequirement(
      "npm-tag",
      `${quote(text)} is a dist-tag, not a version range; request an exact version or a range such as '^4.17.21'`,
      { range: text },
    );
  }
  if (semver.validRange(text) === null) {
    throw invalidRequirement(
      "npm-range",
      `${quote(text)} is not an npm version range; use e.g. '4.17.21', '^4.17.21' or '>=4.17 <5'`,
      { range: text.slice(0, 80) },
    );
  }
  return text;
};

const any = (range: string): string => (range === "" ? "*" : range);

// An exact version as a lockfile writes it: no "v" or "=", build metadata kept (node-semver's valid() drops it).
const EXACT = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** One exact semver version, spelled exactly (at most 200 characters). */
export const isExactNpmVersion = (version: unknown): version is string =>
  typeof version === "string" && version.length <= 200 && EXACT.test(version) && semver.valid(version) !== null;

/** Whether an exact version satisfies a range ("" = any). Pre-releases only when the range names one. */
export const npmRangeContains = (range: string, version: string): boolean =>
  semver.valid(version) !== null && semver.satisfies(version, any(range));

/**
 * Every version matched by `inner` is matched by `outer`, pre-releases counted; false when `inner` matches nothing.
 * (Without counting them, node-semver calls `2.0.0-rc.1` outside `^2.0.0-0`.)
 */
export const npmRangeWithin = (inner: string, outer: string): boolean =>
  !npmRangeIsEmpty(inner) && semver.subset(any(inner), any(outer), { includePrerelease: true });

/** No version can satisfy it, e.g. '>=3 <2'. */
export const npmRangeIsEmpty = (range: string): boolean => semver.minVersion(any(range)) === null;

/** Both at once, as node-semver reads a space: `a` and `b` (each alternative of one with each of the other). */
export const intersectNpmRanges = (a: string, b: string): string => {
  if (a === "" || a === "*") return b;
  if (b === "" || b === "*") return a;
  const left = new semver.Range(a).set;
  const right = new semver.Range(b).set;
  return left.flatMap((l) => right.map((r) => [...l, ...r].map((c) => c.value || "*").join(" "))).join(" || ");
};

// node-semver writes `^4.1.2` as `>=4.1.2 <5.0.0-0`: an upper bound at `-0` names no pre-release, it excludes them.
const namesPrerelease = (c: semver.Comparator): boolean =>
  (c.semver.prerelease?.length ?? 0) > 0 && !(c.operator === "<" && c.semver.prerelease.join(".") === "0");

/** Whether any comparator names a pre-release (then node-semver admits pre-releases of that version). */
export const npmRangeNamesPrerelease = (range: string): boolean =>
  range !== "" && new semver.Range(range).set.some((set) => set.some(namesPrerelease));
