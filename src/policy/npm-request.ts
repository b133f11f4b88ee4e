import npa from "npm-package-arg";
import { PackageGuardError } from "../errors.js";
import { invalidRequirement, quote, type InvalidReason } from "./invalid.js";
import { npmNameProblem } from "./npm-names.js";
import { intersectNpmRanges, parseNpmRange } from "./npm-range.js";

/** An npm request after parsing: a registry package name and the range asked for ("" when none was). */
export type NpmRequest = { name: string; range: string };

export const MAX_NPM_REQUEST_LENGTH = 300;

const parameter = (message: string): PackageGuardError =>
  new PackageGuardError("INVALID_REQUIREMENT", message, { details: { reason: "parameter" } });

// Every way npm can be told to fetch something other than a registry version. Checked on the raw text first, so the
// message says what was recognised; npm-package-arg's own classification below is the second line.
const FOREIGN: readonly [RegExp, InvalidReason, string][] = [
  [/^\s*-/, "option", "looks like a command-line option"],
  [/(^|@)npm:/i, "npm-spec", "is an npm: alias (it would install another package under this name)"],
  [/(^|@)(git\+|git:|github:|gitlab:|bitbucket:|gist:)/i, "vcs", "is a git dependency"],
  [/:\/\//, "url", "is a URL (only the configured registry is used)"],
  [/(^|@)(file|link|workspace|portal|patch):/i, "npm-spec", "is a local path or workspace spec"],
  [/^[./~\\]|^[A-Za-z]:[\\/]/, "path", "is a local path"],
  [/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(#.*)?$/, "vcs", "is a GitHub shorthand (user/repo)"],
];

const splitSpec = (raw: string): { name: string; spec: string | null } => {
  const at = raw.indexOf("@", raw.startsWith("@") ? 1 : 0);
  return at === -1 ? { name: raw, spec: null } : { name: raw.slice(0, at), spec: raw.slice(at + 1) };
};

/**
 * Reads an npm request as tools, RPC and the CLI send it: `name`, `name@range` or `@scope/name@range`, plus an
 * optional separate `version` range (both must hold). SECURITY: only registry names with semver ranges pass;
 * aliases, git, URLs, paths, dist-tags and anything that is not printable ASCII are INVALID_REQUIREMENT.
 */
export const parseNpmRequest = (raw: unknown, version: unknown): NpmRequest => {
  if (typeof raw !== "string") throw parameter("The package must be a string such as 'lodash' or 'lodash@^4.17.21'");
  if (raw.trim() === "") throw invalidRequirement("empty", "The package name is empty");
  if (raw.length > MAX_NPM_REQUEST_LENGTH)
    throw invalidRequirement("too-long", `An npm request has at most ${MAX_NPM_REQUEST_LENGTH} characters`);
  // oxlint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(raw))
    throw invalidRequirement("control-char", `${quote(raw)} has control characters`);
  if (/[^\x20-\x7e]/.test(raw))
    throw invalidRequirement("non-ascii", `${quote(raw)} has characters outside printable ASCII`);
  for (const [pattern, reason, what] of FOREIGN) {
    if (pattern.test(raw)) throw invalidRequirement(reason, `${quote(raw)} ${what}; request a registry package`);
  }
  const { name, spec } = splitSpec(raw.trim());
  const problem = npmNameProblem(name);
  if (problem !== null) throw invalidRequirement("name", `${quote(name)} is not an npm package name: ${problem}`);
  if (spec !== null && spec.trim() === "")
    throw invalidRequirement("npm-range", `${quote(raw)} has nothing after '@'; give a range or leave out the '@'`);
  let range = spec === null ? "" : parseNpmRange(spec);
  // npm's own reading of the same text must agree that this is a registry range (and not, say, a tag).
  const parsed = (() => {
    try {
      return npa.resolve(name, range === "" ? "*" : range);
    } catch {
      return undefined;
    }
  })();
  if (parsed?.type !== "range" && parsed?.type !== "version")
    throw invalidRequirement("npm-spec", `${quote(raw)} is not a registry version range`);
  if (version !== undefined && version !== null && version !== "") {
    if (typeof version !== "string") throw parameter("The version must be a string such as '^4.17.21'");
    const separate = parseNpmRange(version);
    range = range === "" ? separate : intersectNpmRanges(range, separate);
  }
  return { name, range };
};

/** `name@range`, or the name alone: how a request is shown in messages and approvals. */
export const formatNpmRequest = (r: { name: string; range: string }): string =>
  r.range === "" ? r.name : `${r.name}@${r.range}`;
