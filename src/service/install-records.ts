import type { VulnerabilityOverride } from "../policy/overrides.js";
import type { Pin, ReleaseFiles } from "../python/environment.js";
import type { AcceptedFinding, PinRecord } from "../python/install-record.js";
import type { ScanOutcome } from "../scan/scan-service.js";
import type { VulnerabilityFinding } from "./types.js";

const accepted = (f: VulnerabilityFinding, by: string, reason: string, expires: string): AcceptedFinding => ({
  id: f.id,
  aliases: f.aliases,
  package: f.package,
  version: f.version,
  fixedVersions: f.fixedVersions,
  ...(f.summary ? { summary: f.summary } : {}),
  acceptedBy: by,
  reason,
  expires,
});

/** What an install records per pin: its files from the release check, and the scan it passed with what was let in. */
export const installRecords = (
  installed: readonly Pin[],
  files: ReleaseFiles,
  scan: ScanOutcome,
  overridden: readonly { finding: VulnerabilityFinding; override: VulnerabilityOverride }[],
  now: Date,
): Record<string, PinRecord> => {
  const all = [
    ...scan.ignored.map((i) => accepted(i.finding, `ignore rule ${i.rule.id}`, i.rule.reason, i.rule.expires)),
    ...overridden.map((o) => accepted(o.finding, `override ${o.override.id}`, o.override.reason, o.override.expires)),
  ];
  return Object.fromEntries(
    installed.map((pin) => {
      const key = `${pin.name}==${pin.version}`;
      const record: PinRecord = {
        files: files[key] ?? [],
        scan: {
          scanner: scan.scannerId,
          scannedAt: now.toISOString(),
          accepted: all.filter((f) => f.package === pin.name && f.version === pin.version),
        },
      };
      return [key, record];
    }),
  );
};
