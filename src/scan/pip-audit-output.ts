import { PackageGuardError } from "../errors.js";
import { isRecord } from "../util/is-record.js";
import { sameVersion } from "../util/pep440.js";
import { pinKey, pinLabel, type Finding, type ScanPin } from "./types.js";

/**
 * pip-audit 2.10 `-f json`: `{dependencies: [{name, version, vulns: [{id, fix_versions, aliases, description}]}
 * | {name, skip_reason}], fixes: []}`. `name` is canonicalized; `version` is `str(packaging.Version)`, so it is
 * PEP 440-normalized and may be spelled differently from the pin ("1.0.0-RC1" comes back as "1.0.0rc1").
 */
type AuditedDependency = { name: string; version?: string; skip_reason?: string; vulns?: unknown };

const MAX_SUMMARY = 300;

const fail = (message: string): PackageGuardError =>
  new PackageGuardError(
    "SCANNER_UNAVAILABLE",
    `${message} The scan is treated as failed; check the pip-audit installation and scan settings, then retry.`,
  );

const stringList = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((s) => typeof s === "string") ? (v as string[]) : undefined;

const toFinding = (raw: unknown, pin: ScanPin): Finding => {
  const fixed = isRecord(raw) ? stringList(raw.fix_versions) : undefined;
  if (!isRecord(raw) || typeof raw.id !== "string" || !raw.id || fixed === undefined) {
    throw fail(`pip-audit reported a vulnerability for ${pinLabel(pin)} in an unexpected shape.`);
  }
  const finding: Finding = {
    id: raw.id,
    aliases: (stringList(raw.aliases) ?? []).filter((a) => a !== raw.id).toSorted(),
    ecosystem: pin.ecosystem,
    package: pin.name,
    version: pin.version,
    fixedVersions: fixed,
  };
  const description = typeof raw.description === "string" ? raw.description.trim() : "";
  if (description && description !== "N/A") {
    finding.summary = description.length > MAX_SUMMARY ? `${description.slice(0, MAX_SUMMARY - 1)}…` : description;
  }
  return finding;
};

/** Maps pip-audit's report back onto the pins; a pin that was skipped or is absent fails the whole scan. */
export const parsePipAuditJson = (stdout: string, pins: readonly ScanPin[]): Map<string, Finding[]> => {
  let report: unknown;
  try {
    report = JSON.parse(stdout);
  } catch {
    throw fail(
      `pip-audit did not print a JSON report (got ` +
        `${stdout.trim() ? `${stdout.trim().length} characters of other output` : "no output"}).`,
    );
  }
  if (
    !isRecord(report) ||
    !Array.isArray(report.dependencies) ||
    !report.dependencies.every((d) => isRecord(d) && typeof d.name === "string")
  ) {
    throw fail("pip-audit printed JSON without the expected `dependencies` list.");
  }
  const dependencies = report.dependencies as AuditedDependency[];
  const result = new Map<string, Finding[]>();
  for (const pin of pins) {
    const sameName = dependencies.filter((d) => d.name === pin.name);
    const skipped = sameName.find((d) => typeof d.skip_reason === "string");
    if (skipped) throw fail(`pip-audit skipped ${pinLabel(pin)}: ${String(skipped.skip_reason).slice(0, 300)}.`);
    const audited = sameName.find((d) => typeof d.version === "string" && sameVersion(d.version, pin.version));
    if (!audited) throw fail(`pip-audit's report does not mention ${pinLabel(pin)}.`);
    if (!Array.isArray(audited.vulns)) throw fail(`pip-audit's report lists ${pinLabel(pin)} without a vulns list.`);
    result.set(
      pinKey(pin),
      audited.vulns.map((v) => toFinding(v, pin)),
    );
  }
  return result;
};
