import { PackageGuardError } from "../errors.js";

/** Why a requirement was refused: stable slugs that tests, the audit log and the CLI can key on. */
export type InvalidReason =
  | "type"
  | "empty"
  | "too-long"
  | "non-ascii"
  | "control-char"
  | "option"
  | "vcs"
  | "url"
  | "path"
  | "marker"
  | "arbitrary-equality"
  | "local-version"
  | "epoch"
  | "wildcard"
  | "operator"
  | "compatible-release"
  | "version"
  | "empty-clause"
  | "duplicate-clause"
  | "name"
  | "extras-syntax"
  | "extras-not-allowed"
  | "syntax"
  // npm requests: a dist-tag where a range belongs, a malformed range, a spec that is not the registry's (alias, git,
  // URL, path)
  | "npm-tag"
  | "npm-range"
  | "npm-spec"
  // an npm package without a sha512 integrity in the registry's metadata
  | "npm-integrity";

export const invalidRequirement = (
  reason: InvalidReason,
  message: string,
  details: Record<string, unknown> = {},
): PackageGuardError => new PackageGuardError("INVALID_REQUIREMENT", message, { details: { ...details, reason } });

/** Agent text quoted in a message: short, and printable (hostile input never reaches a log verbatim). */
export const quote = (text: string): string => {
  const cut = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return `'${cut.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}'`;
};
