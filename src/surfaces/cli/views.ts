import type { AuditRecord } from "../../audit/log.js";
import type { InstalledNpmPackage } from "../../npm/types.js";
import type { ApprovalView } from "../../policy/approvals.js";
import type { VulnerabilityOverride } from "../../policy/overrides.js";
import type { DoctorReport } from "../../service/doctor.js";
import type { InstalledPackage, WhitelistView } from "../../service/types.js";
import { renderTable, TERMINAL_COLUMNS, wrap } from "../cli-output.js";

// What a person reads at a terminal: the columns that matter, in at most TERMINAL_COLUMNS; --json has everything.
const minute = (iso: string | null): string => (iso ? iso.slice(0, 16).replace("T", " ") : "");
const day = (iso: string | null): string => (iso ? iso.slice(0, 10) : "");

export const auditTable = (records: AuditRecord[]): string =>
  renderTable(
    records.map((r) => ({
      time: minute(r.ts),
      source: r.source,
      status: r.status,
      code: r.code ?? "",
      agent: r.agentId ?? "",
      skill: r.skillId ?? "",
      package: `${r.package ?? r.requested ?? ""}${r.version ? `==${r.version}` : ""}`,
      reason: r.reason ?? "",
    })),
  );

export const installedTable = (packages: InstalledPackage[]): string =>
  renderTable(
    packages.map((p) => ({
      skill: p.skill,
      package: p.package,
      version: p.version,
      requested: p.direct ? "yes" : "dependency",
      installed: minute(p.installedAt),
    })),
  );

export const npmInstalledTable = (packages: InstalledNpmPackage[]): string =>
  renderTable(
    packages.map((p) => ({
      component: p.component,
      package: p.package,
      version: p.version,
      requested: p.direct ? "yes" : "dependency",
      installed: minute(p.installedAt),
    })),
  );

export const whitelistTable = (entries: WhitelistView[]): string =>
  renderTable(
    entries.map((e) => ({
      package: e.package,
      version: e.version || "any",
      maturity: e.maturity,
      category: e.category ?? "",
      approval: e.requires_approval ? "required" : "",
      memory: e.max_memory_mb === null ? "" : `${e.max_memory_mb} MB`,
      network: e.network_access ? "yes" : "",
      description: e.description,
    })),
  );

export const approvalsTable = (approvals: ApprovalView[]): string =>
  renderTable(
    approvals.map((a) => ({
      id: a.id,
      status: a.expired ? "expired" : a.status,
      agent: a.agentId ?? "",
      skill: a.skill,
      package: `${a.package}${a.specifier}`,
      requested: minute(a.requestedAt),
      expires: minute(a.expiresAt),
    })),
  );

export const overridesTable = (overrides: (VulnerabilityOverride & { live: boolean })[]): string =>
  renderTable(
    overrides.map((o) => ({
      id: o.id,
      skill: o.skill,
      package: `${o.package}${o.ecosystem === "npm" ? "@" : "=="}${o.version}`,
      advisories: o.advisories.join(","),
      expires: day(o.expires),
      live: o.live ? "yes" : "no",
      reason: o.reason,
    })),
  );

const STATUS = { ok: "ok", warn: "WARN", fail: "FAIL" } as const;

/** The doctor's table: one row per check, details and fixes wrapped under their check. */
export const doctorText = (report: DoctorReport): string => {
  const checkWidth = Math.max(5, ...report.checks.map((c) => c.check.length));
  const indent = 4 + 2 + checkWidth + 2;
  const detailWidth = TERMINAL_COLUMNS - indent;
  const failures = report.checks.filter((c) => c.status === "fail").length;
  const warnings = report.checks.filter((c) => c.status === "warn").length;
  const lines = [
    report.ok
      ? `package-guard doctor: installs can work${warnings ? ` (${warnings} warning(s))` : ""}`
      : `package-guard doctor: ${failures} problem(s) would make installs fail`,
    ...(report.configValid ? [] : ["The plugin block is invalid, so the guard is closed: every install is refused."]),
    "",
    `${"".padEnd(4)}  ${"check".padEnd(checkWidth)}  detail`,
  ];
  for (const c of report.checks) {
    const [first = "", ...rest] = wrap(c.detail, detailWidth);
    lines.push(`${STATUS[c.status].padEnd(4)}  ${c.check.padEnd(checkWidth)}  ${first}`);
    for (const more of rest) lines.push(`${" ".repeat(indent)}${more}`);
    if (c.fix)
      for (const [i, f] of wrap(`fix: ${c.fix}`, detailWidth - 5).entries())
        lines.push(`${" ".repeat(indent + (i === 0 ? 0 : 5))}${f}`);
  }
  return `${lines.join("\n")}\n`;
};
