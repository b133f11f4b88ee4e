import type { AuditRecord } from "../audit/log.js";

export type DecisionLogger = { info(message: string): void; warn(message: string): void };

// Operator bookkeeping is in the audit log; the gateway log gets what was decided about an install.
const NOT_DECISIONS = new Set(["whitelist_changed", "approval_resolved"]);
const REFUSALS = new Set(["blocked", "failed", "rolled_back", "interrupted", "approval_requested"]);

// Agent and skill text reaches the log: one line stays one line, and bounded.
const field = (value: string | null): string =>
  value === null ? "-" : JSON.stringify(value.slice(0, 120)).slice(1, -1).replaceAll(" ", "_") || "-";

/**
 * One gateway log line per decision: who (source, agent), where (skill), what (package), the outcome and its code.
 * `package-guard: decision tool agent=junior skill=data-viz package=requests outcome=blocked code=NOT_WHITELISTED`
 */
export const decisionLine = (record: AuditRecord): string | null => {
  if (NOT_DECISIONS.has(record.status)) return null;
  const pkg = field(record.package ?? record.requested) + (record.version === null ? "" : `==${field(record.version)}`);
  return (
    `package-guard: decision ${record.source} agent=${field(record.agentId)} skill=${field(record.skillId)} ` +
    `package=${pkg} outcome=${record.status} code=${record.code ?? "-"}`
  );
};

/** The audit log's listener that writes each decision line, refusals as warnings. */
export const logDecisions =
  (logger: DecisionLogger) =>
  (record: AuditRecord): void => {
    const line = decisionLine(record);
    if (line === null) return;
    if (REFUSALS.has(record.status)) logger.warn(line);
    else logger.info(line);
  };
