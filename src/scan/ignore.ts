import type { IgnoreRule } from "../config.js";
import { endOfUtcDay } from "../util/date.js";
import { isMalware, type Finding } from "./types.js";

export type IgnoredFinding = { finding: Finding; rule: IgnoreRule };

const matches = (rule: IgnoreRule, finding: Finding): boolean => {
  if (rule.ecosystem !== undefined && rule.ecosystem !== finding.ecosystem) return false;
  const id = rule.id.trim().toUpperCase();
  return [finding.id, ...finding.aliases].some((x) => x.toUpperCase() === id);
};

/**
 * Splits findings into those that still block and those an operator accepted. A rule names an advisory by
 * its id or any alias (optionally only in one ecosystem) and holds through the last second of its `expires` day
 * (UTC). SECURITY: a rule with a malformed date never applies, so a typo cannot turn into a permanent exception; and
 * no rule ever applies to malware (an OSV MAL- record).
 */
export const applyIgnoreRules = (
  findings: Finding[],
  rules: IgnoreRule[],
  now: Date,
): { kept: Finding[]; ignored: IgnoredFinding[] } => {
  const live = rules.filter((r) => now.getTime() < endOfUtcDay(r.expires));
  const kept: Finding[] = [];
  const ignored: IgnoredFinding[] = [];
  for (const finding of findings) {
    const rule = isMalware(finding) ? undefined : live.find((r) => matches(r, finding));
    if (rule) ignored.push({ finding, rule });
    else kept.push(finding);
  }
  return { kept, ignored };
};
