import type { ShellMode } from "../config.js";
import type { ErrorCode } from "../errors.js";
import { parseNpmRequest } from "../policy/npm-request.js";
import { formatRequirement, parseRequirement } from "../policy/requirement.js";
import { NODE_INSTALL_FAMILIES, PYTHON_INSTALL_FAMILIES, type Finding, type FindingKind } from "../shell/types.js";
import { redactSecrets } from "../util/redact.js";

export type GateVerdict = "pass" | "block" | "approve";

/** The gate's answer for one command or tool call (shell-check prints it as is). */
export type ShellDecision = {
  decision: GateVerdict;
  /** The install family (or control) of the most serious finding. */
  family?: string;
  kind?: FindingKind;
  /** For an agent: what was found and what to do instead. */
  reason: string;
  /** The install_package call(s) to make instead of a plain `pip install <name>`. */
  suggestion?: string;
  /** The first package a plain install named (for the audit record). */
  package?: string;
  findings: Finding[];
};

/** The stable code every shell-gate refusal starts with. */
export const SHELL_CODE: ErrorCode = "SHELL_BLOCKED";

const PYTHON_FAMILIES: ReadonlySet<string> = new Set(PYTHON_INSTALL_FAMILIES);
const NODE_FAMILIES: ReadonlySet<string> = new Set(NODE_INSTALL_FAMILIES);
// Guard controls and state writes are never put to a vote: an agent may not even ask to change the guard.
const RANK: Record<FindingKind, number> = { guard: 0, protected: 1, install: 2, opaque: 3 };

type Suggested = { package: string; calls: string[] };

/**
 * The install_package calls that replace the findings' installs, when every one of them is a plain request of one
 * ecosystem that the grammar of that ecosystem accepts (rebuilt, never echoed); otherwise null.
 */
const suggestedCalls = (findings: Finding[]): Suggested | null => {
  const words = findings.flatMap((f) => f.packages ?? []);
  if (words.length === 0 || findings.some((f) => !f.packages)) return null;
  const python = findings.every((f) => PYTHON_FAMILIES.has(f.family));
  const node = findings.every((f) => NODE_FAMILIES.has(f.family));
  try {
    if (python) {
      const packages = words.map((w) => formatRequirement(parseRequirement(w)));
      return {
        package: packages[0]!.replace(/[[<>=!~].*$/, ""),
        calls: packages.map((p) => `install_package ${JSON.stringify({ package: p, skill: "<your skill id>" })}`),
      };
    }
    if (node) {
      const requests = words.map((w) => parseNpmRequest(w, undefined));
      return {
        package: requests[0]!.name,
        calls: requests.map(
          (r) =>
            `install_package ${JSON.stringify({
              ecosystem: "npm",
              package: r.name,
              ...(r.range ? { version: r.range } : {}),
              component: "<your component id>",
            })}`,
        ),
      };
    }
  } catch {
    return null;
  }
  return null;
};

const advice = (top: Finding, suggestion: string | undefined): string => {
  switch (top.kind) {
    case "guard":
      return "These controls belong to operators: ask the user to run it if it is really needed.";
    case "protected":
      return "package-guard's state folder and OpenClaw's config are not for agents to change.";
    case "opaque":
      return (
        "Write the command so that the program it runs is visible in the command itself; install Python packages " +
        "with the install_package tool."
      );
    case "install":
      if (NODE_FAMILIES.has(top.family))
        return suggestion
          ? `Install Node packages into a canvas component with the install_package tool instead (whitelist, ` +
              `scan, no install scripts): ${suggestion}`
          : "Node packages go into a canvas component through the install_package tool with ecosystem 'npm', one " +
              "call per package with your component id (list_packages with ecosystem 'npm' shows what you may " +
              "install); install scripts never run.";
      if (!PYTHON_FAMILIES.has(top.family))
        return (
          "package-guard does not let agents install Python or Node packages through an OS package manager from " +
          "the shell: use the install_package tool, or ask the user or an operator to install what you need."
        );
      return suggestion
        ? `Use the install_package tool instead (it checks the whitelist and scans for vulnerabilities): ${suggestion}`
        : "Use the install_package tool instead, one call per package with your skill id (list_packages shows what " +
            "you may install); it checks the whitelist and scans for vulnerabilities.";
  }
};

/** Findings -> pass, block or (in approve mode, for installs and opaque code only) approve, with the reason. */
export const decideFindings = (findings: readonly Finding[], mode: ShellMode): ShellDecision => {
  if (findings.length === 0 || mode === "off")
    return {
      decision: "pass",
      reason: findings.length === 0 ? "No package install or guard control found" : "shell.mode is off",
      findings: [...findings],
    };
  const sorted = [...findings].toSorted((a, b) => RANK[a.kind] - RANK[b.kind]);
  const top = sorted[0]!;
  const suggested = top.kind === "install" ? suggestedCalls(findings.filter((f) => f.kind === "install")) : null;
  const suggestion = suggested?.calls.join("; ");
  const reasons = [...new Set(sorted.map((f) => f.reason))].slice(0, 4).join("; ");
  const askable = sorted.every((f) => f.kind === "install" || f.kind === "opaque");
  const decision: GateVerdict = mode === "approve" && askable ? "approve" : "block";
  const verb = decision === "approve" ? "stopped" : "blocked";
  return {
    decision,
    family: top.family,
    kind: top.kind,
    reason: redactSecrets(`[${SHELL_CODE}] package-guard ${verb} this: ${reasons}. ${advice(top, suggestion)}`),
    ...(suggestion ? { suggestion } : {}),
    ...(suggested ? { package: suggested.package } : {}),
    findings: [...findings],
  };
};
