import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../../../src/audit/log.js";
import { decisionLine } from "../../../src/service/decision-log.js";
import { renderTable, wrap } from "../../../src/surfaces/cli-output.js";

describe("human tables fit 100 columns (issue 14.9)", () => {
  it("long cells give way, the widest column first, and end in '…'", () => {
    const rows = [{ package: "pandas", version: ">=2.0.0,<3.0.0", description: "d".repeat(300) }];
    const text = renderTable(rows);
    for (const line of text.trimEnd().split("\n")) expect(line.length).toBeLessThanOrEqual(100);
    expect(text).toMatch(/pandas +>=2\.0\.0,<3\.0\.0/);
    expect(text).toMatch(/d…\n$/);
  });

  it("wraps at spaces", () => {
    expect(wrap("one two three four", 9)).toEqual(["one two", "three", "four"]);
  });
});

describe("decision lines (issue 14.10)", () => {
  const record = (over: Partial<AuditRecord>): AuditRecord =>
    ({
      source: "tool",
      status: "blocked",
      agentId: "junior",
      skillId: "data-viz",
      package: "requests",
      requested: "requests",
      version: null,
      code: "NOT_WHITELISTED",
      ...over,
    }) as AuditRecord;

  it("names agent, skill, package, outcome and code", () => {
    expect(decisionLine(record({}))).toBe(
      "package-guard: decision tool agent=junior skill=data-viz package=requests outcome=blocked code=NOT_WHITELISTED",
    );
  });

  it("keeps agent text on one line and leaves operator bookkeeping out", () => {
    expect(decisionLine(record({ agentId: "a\nb c", skillId: null }))).toContain("agent=a\\nb_c skill=- ");
    expect(decisionLine(record({ status: "whitelist_changed" }))).toBeNull();
  });
});
