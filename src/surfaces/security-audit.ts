import { parseConfig, type PackageGuardConfig } from "../config.js";
import { toPackageGuardError } from "../errors.js";
import type { ExposureReport } from "../service/exposure.js";
import { pluginBlockOf } from "./cli-context.js";

/** The host's SecurityAuditFinding (openclaw security audit), spelled out: the SDK does not export it by name. */
export type AuditFinding = {
  checkId: string;
  severity: "info" | "warn" | "critical";
  title: string;
  detail: string;
  remediation?: string;
};

/** What the collector is called with (OpenClawPluginSecurityAuditContext, the parts used). */
export type AuditContext = { config: unknown; stateDir: string };

const HOUR_MS = 3_600_000;
const MAX_SHOWN = 20;

const list = (items: string[]): string =>
  items.length > MAX_SHOWN
    ? `${items.slice(0, MAX_SHOWN).join("; ")}; and ${items.length - MAX_SHOWN} more`
    : items.join("; ");

/** The re-scan's findings as security-audit findings: malware is critical, vulnerabilities warn. */
export const exposureFindings = (
  report: ExposureReport,
  config: Pick<PackageGuardConfig, "scan">,
  now: Date,
): AuditFinding[] => {
  const out: AuditFinding[] = [];
  for (const skill of report.skills) {
    const malware = skill.pins.flatMap((p) =>
      p.findings.filter((f) => f.malicious).map((f) => `${f.id} in ${p.package} ${p.version}`),
    );
    const vulns = skill.pins.flatMap((p) =>
      p.findings
        .filter((f) => !f.malicious && !f.override)
        .map(
          (f) =>
            `${f.id} in ${p.package} ${p.version}` +
            (f.fixedVersions.length ? ` (fixed in ${f.fixedVersions.join(", ")})` : " (no fix yet)"),
        ),
    );
    if (malware.length > 0)
      out.push({
        checkId: "package-guard.skill_malware",
        severity: skill.quarantined ? "warn" : "critical",
        title: `Skill '${skill.skill}' holds malware${skill.quarantined ? " (quarantined)" : ""}`,
        detail: `A re-scan found known malware in the skill's virtualenv: ${list(malware)}.`,
        remediation: skill.quarantined
          ? `Release it with a clean set: package-guard quarantine release ${skill.skill} --mode reset`
          : `Take it out of use now: package-guard quarantine add ${skill.skill}`,
      });
    if (vulns.length > 0)
      out.push({
        checkId: "package-guard.skill_vulnerable",
        severity: "warn",
        title: `Skill '${skill.skill}' holds known-vulnerable packages`,
        detail: `A re-scan found: ${list(vulns)}.`,
        remediation: "Install the fixed versions (install_package / package-guard install), or accept with an override",
      });
  }
  if (report.failure)
    out.push({
      checkId: "package-guard.rescan_failed",
      severity: "warn",
      title: "The last re-scan of installed packages failed",
      detail: `${report.failure.at} (${report.failure.trigger}): ${report.failure.message}`,
      remediation: "package-guard doctor; package-guard advisories update; package-guard rescan",
    });
  const every = config.scan.rescanHours;
  if (report.scannedAt === null) {
    out.push({
      checkId: "package-guard.rescan_missing",
      severity: "info",
      title: "Installed packages have not been re-scanned yet",
      detail: "No re-scan result exists; the gateway's background service runs one, or run it by hand.",
      remediation: "package-guard rescan",
    });
  } else if (every > 0 && now.getTime() - Date.parse(report.scannedAt) > 2 * every * HOUR_MS) {
    out.push({
      checkId: "package-guard.rescan_stale",
      severity: "warn",
      title: "The re-scan of installed packages is out of date",
      detail: `The last re-scan ran ${report.scannedAt}; scan.rescanHours is ${every}.`,
      remediation: "Check that the gateway runs, or: package-guard rescan",
    });
  }
  for (const q of report.quarantined)
    out.push({
      checkId: "package-guard.skill_quarantined",
      severity: "info",
      title: `Skill '${q.skill}' is quarantined`,
      detail: `Since ${q.at}: ${q.reason}.`,
      remediation: `package-guard quarantine release ${q.skill} --mode restore|rebuild|reset`,
    });
  return out;
};

/**
 * The `openclaw security audit` collector. It reads only files (the re-scan result and quarantine markers under the
 * state dir it is handed), so it works in a process with no gateway and no open services.
 */
export const createSecurityAuditCollector =
  (read: (config: PackageGuardConfig) => Promise<ExposureReport>, now: () => Date = () => new Date()) =>
  async (ctx: AuditContext): Promise<AuditFinding[]> => {
    let config: PackageGuardConfig;
    try {
      config = parseConfig(pluginBlockOf(ctx.config), ctx.stateDir);
    } catch (error) {
      return [
        {
          checkId: "package-guard.config_invalid",
          severity: "warn",
          title: "package-guard's configuration is invalid",
          detail: toPackageGuardError(error).message,
        },
      ];
    }
    try {
      return exposureFindings(await read(config), config, now());
    } catch (error) {
      return [
        {
          checkId: "package-guard.exposure_unreadable",
          severity: "warn",
          title: "package-guard's re-scan result cannot be read",
          detail: toPackageGuardError(error).message,
          remediation: "package-guard rescan",
        },
      ];
    }
  };
