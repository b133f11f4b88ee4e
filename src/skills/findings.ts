/** The finding shape OpenClaw's before_install hook and installPolicy protocol both take. */
export type SkillFindingSeverity = "info" | "warn" | "critical";

export type SkillFinding = {
  /** Stable: `package-guard.<rule>`. */
  ruleId: string;
  severity: SkillFindingSeverity;
  message: string;
  file: string;
  line: number;
};

export const SKILL_MD = "SKILL.md";

export const finding = (
  rule: string,
  severity: SkillFindingSeverity,
  message: string,
  line = 1,
  file = SKILL_MD,
): SkillFinding => ({
  ruleId: `package-guard.${rule}`,
  severity,
  message,
  file,
  line,
});

export const critical = (rule: string, message: string, line = 1): SkillFinding =>
  finding(rule, "critical", message, line);

/** A critical finding about a bundle file other than SKILL.md. */
export const fileProblem = (file: string, rule: string, message: string, line = 1): SkillFinding =>
  finding(rule, "critical", message, line, file);

/**
 * One requirement a bundle file declares, as text for the service's strict parser (which alone decides whether it
 * is valid), with where it was found. `conditional` marks a requirement that carried an environment marker: it is
 * vetted as if the marker held, and left out of the pre-install.
 */
export type Declared = { requirement: string; file: string; line: number; conditional?: boolean };

/** What one reader makes of one file: the requirements it declares and every problem found reading them. */
export type FileReading = { declared: Declared[]; findings: SkillFinding[] };
