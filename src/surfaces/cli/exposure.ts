import type { Command } from "commander";
import type { ExposureReport } from "../../service/exposure.js";
import { withCommon, type CliKit } from "./kit.js";

const human = (report: ExposureReport): string => {
  const lines = [
    report.scannedAt
      ? `Last re-scan ${report.scannedAt} (${report.trigger}) against ${report.source?.id ?? "?"} ` +
        `${report.source?.version ?? ""}: ${report.scanned.skills} skill(s), ${report.scanned.pins} pin(s)`
      : "No re-scan has run yet (package-guard rescan)",
  ];
  if (report.failure) lines.push(`Last re-scan FAILED ${report.failure.at}: ${report.failure.message}`);
  for (const s of report.skills) {
    lines.push(`${s.skill}${s.malicious ? " MALWARE" : ""}${s.quarantined ? " (quarantined)" : ""}`);
    for (const pin of s.pins)
      for (const f of pin.findings)
        lines.push(
          `  ${pin.package} ${pin.version}: ${f.id}${f.malicious ? " (malware)" : ""}` +
            `${f.fixedVersions.length ? `, fixed in ${f.fixedVersions.join(", ")}` : ""}` +
            `${f.override ? `, accepted by ${f.override}` : ""}`,
        );
  }
  if (report.skills.length === 0 && report.scannedAt) lines.push("No skill holds a known-vulnerable or malicious pin");
  return lines.join("\n");
};

/** exposure and rescan: what is installed, against today's advisories */
export const mountExposure = (root: Command, { run }: CliKit): void => {
  withCommon(root.command("exposure"))
    .description("Which skills hold which vulnerable or malicious pins, and the fixed versions (last re-scan)")
    .option("--skill <id>", "only this skill")
    .option("--rescan", "re-scan first")
    .action(
      run(async (service, opts) => {
        const o = opts as { skill?: string; rescan?: boolean };
        const report = await service.operator.exposure({
          ...(o.skill ? { skill: o.skill } : {}),
          rescan: o.rescan === true,
        });
        return { value: report, human: human(report) };
      }),
    );
  withCommon(root.command("rescan"))
    .description("Scan every skill's installed packages again now; new findings become rescan audit records")
    .action(
      run(async (service) => {
        const summary = await service.operator.rescan();
        return {
          value: summary,
          human:
            `Re-scanned ${summary.skills} skill(s), ${summary.pins} pin(s): ${summary.newFindings} new finding(s); ` +
            `exposed: ${summary.exposedSkills.join(", ") || "none"}; malware in: ` +
            `${summary.maliciousSkills.join(", ") || "none"}`,
        };
      }),
    );
};
