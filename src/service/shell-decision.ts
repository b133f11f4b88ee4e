import type { ShellMode } from "../config.js";
import type { ErrorCode } from "../errors.js";
import { formatRequirement, parseRequirement } from "../policy/requirement.js";
import type { Finding, FindingKind } from "../shell/types.js";
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

const PYTHON_FAMILIES = new Set([
  "pip",
  "uv",
  "pipx",
  "pipenv",
  "poetry",
  "pdm",
  "hatch",
  "conda",
  "pixi",
  "rye",
  "easy_install",
  "setuptools",
]);
// Guard controls and state writes are never put to a vote: an agent may not even ask to change the guard.
const RANK: Record<FindingKind, number> = { guard: 0, protected: 1, install: 2, opaque: 3 };

const parsedPackages = (findings: Finding[]): string[] | null => {
  const words = findings.flatMap((f) => f.packages ?? []);
  if (words.length === 0 || findings.some((f) => f.kind === "install" && !f.packages)) return null;
  try {
    return words.map((w) => formatRequirement(parseRequirement(w)));
  } catch {
    return null;
  }
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
      if (!PYTHON_FAMILIES.has(top.family))
        return (
          "package-guard does not let agents install Node packages, or Python packages through an OS package " +
          "manager, from the shell: ask the user or an operator to install what you need."
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
  const packages = parsedPackages(findings.filter((f) => f.kind === "install"));
  const suggestion =
    packages && top.kind === "install" && PYTHON_FAMILIES.has(top.family)
      ? packages.map((p) => `install_package ${JSON.stringify({ package: p, skill: "<your skill id>" })}`).join("; ")
      : undefined;
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
    ...(packages?.[0] ? { package: packages[0].replace(/[[<>=!~].*$/, "") } : {}),
    findings: [...findings],
  };
};
