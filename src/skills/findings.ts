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
