import { compare, explain } from "@renovatebot/pep440";
import { memo } from "../util/memo.js";
import { invalidRequirement, quote } from "./invalid.js";

export const OPERATORS = ["~=", "==", "!=", "<=", ">=", "<", ">"] as const;
export type Operator = (typeof OPERATORS)[number];

/** One clause of a specifier set. `version` is PEP 440 normalized; for a wildcard it is the release prefix. */
export type Clause = { op: Operator; version: string; wildcard: boolean };

const CLAUSE = /^([<>=!~]+)\s*([A-Za-z0-9._*-]*)$/;
const RELEASE_ONLY = /^[0-9]+(?:\.[0-9]+)*$/;

export const formatClause = (c: Clause): string => `${c.op}${c.version}${c.wildcard ? ".*" : ""}`;
export const formatClauses = (clauses: readonly Clause[]): string => clauses.map(formatClause).join(",");

const parseClause = (text: string): Clause => {
  const match = CLAUSE.exec(text);
  if (!match) {
    throw invalidRequirement(
      "syntax",
      `Cannot read version clause ${quote(text)}: write an operator and a version, e.g. '>=2.0' or '<3'`,
    );
  }
  const [, rawOp = "", rawVersion = ""] = match;
  if (!(OPERATORS as readonly string[]).includes(rawOp)) {
    throw invalidRequirement("operator", `Operator ${quote(rawOp)} is not allowed: use one of ${OPERATORS.join(" ")}`);
  }
  const op = rawOp as Operator;
  if (rawVersion === "") throw invalidRequirement("version", `Operator '${op}' needs a version, e.g. '${op}2.0'`);
  if (rawVersion.includes("*")) return parseWildcard(op, rawVersion);
  const v = explain(rawVersion);
  if (v === null)
    throw invalidRequirement(
      "version",
      `${quote(rawVersion)} is not a valid PEP 440 version, e.g. '2.0.1' or '2.1rc1'`,
    );
  // Unreachable after checkRawInput ('+' and '!' are refused there); kept so this module is safe on its own.
  if (v.local !== null) throw invalidRequirement("local-version", `Local versions ('+…') are not allowed`);
  if (v.epoch !== 0) throw invalidRequirement("epoch", `Version epochs ('N!') are not allowed`);
  if (op === "~=" && v.release.length < 2) {
    throw invalidRequirement(
      "compatible-release",
      `'~=${rawVersion}' needs at least two version parts, e.g. '~=${rawVersion}.0'`,
    );
  }
  return { op, version: v.public, wildcard: false };
};

const parseWildcard = (op: Operator, rawVersion: string): Clause => {
  const prefix = rawVersion.slice(0, -2);
  // PEP 440 prefix matching: only '==' and '!=', only a trailing '.*', only release segments before it.
  if ((op !== "==" && op !== "!=") || !rawVersion.endsWith(".*") || !RELEASE_ONLY.test(prefix)) {
    throw invalidRequirement(
      "wildcard",
      `Wildcard ${quote(op + rawVersion)} is not allowed: '.*' may only end a '==' or '!=' release, e.g. '==2.1.*'`,
    );
  }
  return { op, version: prefix.split(".").map(Number).join("."), wildcard: true };
};

export const sameClause = (a: Clause, b: Clause): boolean =>
  a.op === b.op &&
  a.wildcard === b.wildcard &&
  (a.wildcard ? a.version === b.version : compare(a.version, b.version) === 0);

/**
 * A PEP 440 specifier set, strictly: comma-separated clauses, no empty or repeated ones.
 * Expects text that already passed checkRawInput. "" (any version) gives [].
 */
export const parseClauses = (text: string): Clause[] => {
  if (text.trim() === "") return [];
  const clauses: Clause[] = [];
  for (const part of text.split(",")) {
    const trimmed = part.trim();
    if (trimmed === "")
      throw invalidRequirement(
        "empty-clause",
        `Empty version clause in ${quote(text)}: separate clauses with a single ',', e.g. '>=2,<3'`,
      );
    const clause = parseClause(trimmed);
    if (clauses.some((c) => sameClause(c, clause))) {
      throw invalidRequirement(
        "duplicate-clause",
        `Version clause '${formatClause(clause)}' appears twice in ${quote(text)}`,
      );
    }
    clauses.push(clause);
  }
  return clauses;
};

/** parseClauses then formatClauses: the canonical text of a specifier set (memoized; throws like parseClauses). */
export const canonicalSpecifier: (text: string) => string = memo((text) => formatClauses(parseClauses(text)));
