import type { ControlVerdict } from "./controls.js";
import type { FamilyVerdict } from "./families.js";
import type { Node } from "./parser.js";
import type { Script } from "./script.js";
import type { StdinInfo } from "./stdin.js";
import type { Field, Finding, PathContext } from "./types.js";

const EXCERPT = 200;

/** One analysis: what it found so far. */
export type Run = {
  paths: PathContext | undefined;
  findings: Finding[];
  seen: Set<string>;
  parseError: boolean;
};

/** Where one command line is analyzed, and the two ways back into the analysis (a command line, shell text). */
export type Scope = {
  run: Run;
  script: Script;
  node: Node;
  depth: number;
  stdin: () => StdinInfo;
  /** Analyzes another command line (a wrapper's command, `poetry run …`) in this scope. */
  argv: (argv: Field[], hops: number) => void;
  /** Parses and analyzes shell text one level deeper (`bash -c`, eval, a here-document fed to sh). */
  nested: (source: string, label: string, positional?: Field[]) => void;
};

export const excerpt = (text: string): string => (text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text);
export const show = (f: Field | undefined): string => (f ? (f.known ? f.text : f.source) : "");

export const report = (scope: Scope, finding: Omit<Finding, "command">): void => {
  const full: Finding = { ...finding, command: excerpt(scope.node.text) };
  const key = `${full.kind}\u0000${full.family}\u0000${full.command}\u0000${full.reason}`;
  if (scope.run.seen.has(key)) return;
  scope.run.seen.add(key);
  scope.run.findings.push(full);
};

export const reportVerdict = (scope: Scope, verdict: FamilyVerdict, hops: number): void => {
  if (!verdict) return;
  if ("inner" in verdict) scope.argv(verdict.inner, hops + 1);
  else
    report(scope, {
      kind: "install",
      family: verdict.family,
      reason: verdict.reason,
      ...(verdict.packages ? { packages: verdict.packages } : {}),
    });
};

export const reportControl = (scope: Scope, verdict: ControlVerdict): void => {
  if (verdict) report(scope, { kind: "guard", family: verdict.family, reason: verdict.reason });
};

export const opaque = (scope: Scope, family: string, reason: string): void =>
  report(scope, { kind: "opaque", family, reason });

// Words that, after a program the gate cannot name, make an install likely (`$p install x`, `$(which npm) i x`).
export const INSTALL_WORDS: ReadonlySet<string> = new Set(
  "install i add ci sync dlx x exec run download wheel inject create update upgrade up pip ensurepip -m".split(" "),
);
