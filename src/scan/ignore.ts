import type { IgnoreRule } from "../config.js";
import { isMalware, type Finding } from "./types.js";

export type IgnoredFinding = { finding: Finding; rule: IgnoreRule };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The first instant a rule no longer applies: the start of the day after `expires`, UTC. NaN if malformed. */
const endOf = (expires: string): number => {
  const m = DATE.exec(expires);
  if (!m) return Number.NaN;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const start = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 2027-02-30 over into March; such a date is a typo, not a rule.
  const check = new Date(start);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    return Number.NaN;
  return start + 86_400_000;
};

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
  const live = rules.filter((r) => now.getTime() < endOf(r.expires));
  const kept: Finding[] = [];
  const ignored: IgnoredFinding[] = [];
  for (const finding of findings) {
    const rule = isMalware(finding) ? undefined : live.find((r) => matches(r, finding));
    if (rule) ignored.push({ finding, rule });
    else kept.push(finding);
  }
  return { kept, ignored };
};
