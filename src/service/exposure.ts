import type { AuditLog } from "../audit/log.js";
import type { PackageGuardConfig } from "../config.js";
import { toPackageGuardError } from "../errors.js";
import { overrideFor, type OverrideStore } from "../policy/overrides.js";
import type { PythonEnvironment } from "../python/environment.js";
import type { VulnerabilityScanService } from "../scan/scan-service.js";
import {
  isEcosystem,
  isMalware,
  pinKey,
  recordedId,
  type AdvisorySourceInfo,
  type Ecosystem,
  type Finding,
  type ScanPin,
} from "../scan/types.js";
import { withFileLock } from "../util/file-lock.js";
import { writeFileAtomic } from "../util/fs.js";
import { isRecord } from "../util/is-record.js";
import { JsonStore } from "../util/json-store.js";

export type ExposureFinding = {
  id: string;
  aliases: string[];
  malicious: boolean;
  fixedVersions: string[];
  summary?: string;
  /** The operator override that let this one into the skill, if any (malware never has one). */
  override?: string;
};
export type ExposedPin = { ecosystem: Ecosystem; package: string; version: string; findings: ExposureFinding[] };

/** What the last re-scan found, as stored (`<dataDir>/exposure.json`). */
export type ExposureFile = {
  version: 1;
  scannedAt: string | null;
  trigger: string | null;
  source: AdvisorySourceInfo | null;
  scanned: { skills: number; pins: number };
  /** Only skills with findings. */
  skills: Record<string, ExposedPin[]>;
  /** The last re-scan that could not run, until one succeeds. */
  failure: { at: string; trigger: string; message: string } | null;
};

export type SkillExposure = {
  skill: string;
  malicious: boolean;
  quarantined: boolean;
  pins: ExposedPin[];
};

export type ExposureReport = Omit<ExposureFile, "version" | "skills"> & {
  skills: SkillExposure[];
  /** Quarantined skills, with or without findings. */
  quarantined: { skill: string; at: string; reason: string }[];
};

export type RescanSummary = {
  scannedAt: string;
  trigger: string;
  source: AdvisorySourceInfo;
  skills: number;
  pins: number;
  exposedSkills: string[];
  maliciousSkills: string[];
  /** Findings not seen by the previous re-scan (each became a `rescan` audit record). */
  newFindings: number;
};

const EMPTY = (): ExposureFile => ({
  version: 1,
  scannedAt: null,
  trigger: null,
  source: null,
  scanned: { skills: 0, pins: 0 },
  skills: {},
  failure: null,
});

const isExposureFile = (v: unknown): v is ExposureFile =>
  isRecord(v) &&
  v.version === 1 &&
  isRecord(v.skills) &&
  Object.values(v.skills).every(
    (pins) =>
      Array.isArray(pins) &&
      pins.every(
        (p) =>
          isRecord(p) &&
          isEcosystem(p.ecosystem) &&
          typeof p.package === "string" &&
          typeof p.version === "string" &&
          Array.isArray(p.findings),
      ),
  );

const exposureStore = (file: string): JsonStore<ExposureFile> =>
  new JsonStore(file, "The exposure file", EMPTY, isExposureFile);

const toExposureFinding = (f: Finding, override: string | undefined): ExposureFinding => ({
  id: recordedId(f),
  aliases: [f.id, ...f.aliases].filter((a) => a !== recordedId(f)),
  malicious: isMalware(f),
  fixedVersions: f.fixedVersions,
  ...(f.summary ? { summary: f.summary } : {}),
  ...(override ? { override } : {}),
});

const keyOf = (skill: string, pin: ExposedPin, finding: ExposureFinding): string =>
  `${skill}\u0000${pin.ecosystem}\u0000${pin.package}\u0000${pin.version}\u0000${finding.id}`;

/** The exposure file and quarantine markers as they are on disk: for `openclaw security audit`, with no services. */
export const readExposureReport = async (
  config: PackageGuardConfig,
  python: Pick<PythonEnvironment, "quarantined">,
): Promise<ExposureReport> => toReport(await exposureStore(config.scan.exposureFile).read(), python);

const toReport = async (
  file: ExposureFile,
  python: Pick<PythonEnvironment, "quarantined">,
): Promise<ExposureReport> => {
  const quarantined = (await python.quarantined()).map((q) => ({ skill: q.skill, at: q.at, reason: q.reason }));
  const held = new Set(quarantined.map((q) => q.skill));
  return {
    scannedAt: file.scannedAt,
    trigger: file.trigger,
    source: file.source,
    scanned: file.scanned,
    failure: file.failure,
    quarantined,
    skills: Object.entries(file.skills)
      .map(([skill, pins]) => ({
        skill,
        malicious: pins.some((p) => p.findings.some((f) => f.malicious)),
        quarantined: held.has(skill),
        pins,
      }))
      .toSorted((a, b) => a.skill.localeCompare(b.skill)),
  };
};

const describe = (pin: ExposedPin, findings: readonly ExposureFinding[]): string => {
  const malware = findings.filter((f) => f.malicious);
  const vulns = findings.filter((f) => !f.malicious);
  const parts: string[] = [];
  if (malware.length > 0) parts.push(`malware ${malware.map((f) => f.id).join(", ")}`);
  if (vulns.length > 0)
    parts.push(
      `${vulns.length} new known vulnerabilit${vulns.length === 1 ? "y" : "ies"}: ` +
        vulns
          .map((f) => `${f.id}${f.fixedVersions.length ? ` (fixed in ${f.fixedVersions.join(", ")})` : ""}`)
          .join("; "),
    );
  return `${pin.package} ${pin.version}: ${parts.join("; ")}`;
};

export type ExposureDeps = {
  config: PackageGuardConfig;
  python: PythonEnvironment;
  audit: Pick<AuditLog, "append">;
  overrides: Pick<OverrideStore, "live">;
  scan: () => Promise<VulnerabilityScanService>;
  now?: () => Date;
};

/**
 * Issue 15.4: what is installed, scanned again against today's advisories. Every skill's pins go to the scanner in
 * one call (fresh: no cached answers); findings an earlier re-scan did not have become `rescan` audit records, and the
 * result is kept for `packages.exposure`, the security audit and the next re-scan.
 */
export class ExposureService {
  private readonly store: JsonStore<ExposureFile>;
  private readonly now: () => Date;

  constructor(private readonly deps: ExposureDeps) {
    this.store = exposureStore(deps.config.scan.exposureFile);
    this.now = deps.now ?? (() => new Date());
  }

  async report(skill?: string): Promise<ExposureReport> {
    const report = await toReport(await this.store.read(), this.deps.python);
    if (skill === undefined) return report;
    const id = this.deps.python.validateSkill(skill);
    return { ...report, skills: report.skills.filter((s) => s.skill === id) };
  }

  /** When the last re-scan ran and against which data (the scheduler compares it with the data now). */
  async last(): Promise<{ at: number | null; version: string | null }> {
    const file = await this.store.read();
    return {
      at: file.scannedAt ? Date.parse(file.scannedAt) : null,
      version: file.source ? `${file.source.id}|${file.source.version}` : null,
    };
  }

  /** The advisory data a re-scan would use now (SCANNER_UNAVAILABLE when unusable). */
  async currentVersion(signal?: AbortSignal): Promise<string> {
    const source = await (await this.deps.scan()).source(signal);
    return `${source.id}|${source.version}`;
  }

  async rescan(trigger: string, signal?: AbortSignal): Promise<RescanSummary> {
    const installed = await this.deps.python.installed();
    const pins = new Map<string, ScanPin>();
    for (const p of installed) {
      const pin: ScanPin = { ecosystem: "PyPI", name: p.package, version: p.version };
      pins.set(pinKey(pin), pin);
    }
    let outcome;
    try {
      outcome = await (await this.deps.scan()).scan([...pins.values()], signal, { fresh: true });
    } catch (error) {
      const e = toPackageGuardError(error, "SCANNER_UNAVAILABLE");
      await this.recordFailure(trigger, e.message).catch(() => undefined);
      throw e;
    }
    const byPin = new Map<string, Finding[]>();
    for (const f of outcome.findings) {
      const key = pinKey({ ecosystem: f.ecosystem, name: f.package, version: f.version });
      byPin.set(key, [...(byPin.get(key) ?? []), f]);
    }
    const live = await this.deps.overrides.live();
    const now = this.now();
    const skills: Record<string, ExposedPin[]> = {};
    for (const p of installed) {
      const found = byPin.get(pinKey({ ecosystem: "PyPI", name: p.package, version: p.version })) ?? [];
      if (found.length === 0) continue;
      const findings = found.map((f) =>
        toExposureFinding(f, isMalware(f) ? undefined : overrideFor(live, p.skill, f, now)?.id),
      );
      (skills[p.skill] ??= []).push({ ecosystem: "PyPI", package: p.package, version: p.version, findings });
    }
    const next: ExposureFile = {
      version: 1,
      scannedAt: now.toISOString(),
      trigger,
      source: outcome.source,
      scanned: { skills: new Set(installed.map((p) => p.skill)).size, pins: pins.size },
      skills,
      failure: null,
    };
    const newFindings = await this.commit(next, trigger);
    return {
      scannedAt: next.scannedAt!,
      trigger,
      source: outcome.source,
      skills: next.scanned.skills,
      pins: next.scanned.pins,
      exposedSkills: Object.keys(skills).toSorted(),
      maliciousSkills: Object.entries(skills)
        .filter(([, list]) => list.some((p) => p.findings.some((f) => f.malicious)))
        .map(([skill]) => skill)
        .toSorted(),
      newFindings,
    };
  }

  /**
   * Under the file's lock: findings the stored result lacks are audited first, then the new result replaces it. If
   * the log cannot be written the result is not stored either, so the next re-scan reports them again.
   */
  private async commit(next: ExposureFile, trigger: string): Promise<number> {
    const file = this.deps.config.scan.exposureFile;
    return withFileLock(file, { what: "The exposure file", timeoutMs: 10_000 }, async (assertHeld) => {
      const previous = await this.store.read();
      const seen = new Set<string>();
      for (const [skill, list] of Object.entries(previous.skills))
        for (const pin of list) for (const f of pin.findings) seen.add(keyOf(skill, pin, f));
      let count = 0;
      for (const [skill, list] of Object.entries(next.skills)) {
        for (const pin of list) {
          // Findings an override already let in were accepted knowingly for this skill: listed, not alerted.
          const fresh = pin.findings.filter((f) => !f.override && !seen.has(keyOf(skill, pin, f)));
          if (fresh.length === 0) continue;
          count += fresh.length;
          const malicious = fresh.some((f) => f.malicious);
          await this.deps.audit.append({
            source: "system",
            status: "rescan",
            skillId: skill,
            package: pin.package,
            version: pin.version,
            code: malicious ? "MALICIOUS" : "VULNERABLE",
            reason:
              `Re-scan (${trigger}) of skill '${skill}': ${describe(pin, fresh)}. ` +
              (malicious
                ? `Take the skill out of use: package-guard quarantine add ${skill}.`
                : "Install a fixed version, or accept it with an override."),
            vulnerabilitiesFound: fresh.length,
            vulnerabilities: fresh.map((f) => f.id),
            details: {
              trigger,
              ecosystem: pin.ecosystem,
              findings: fresh.map((f) => ({ id: f.id, malicious: f.malicious, fixedVersions: f.fixedVersions })),
              source: next.source,
            },
          });
        }
      }
      assertHeld();
      await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
      return count;
    });
  }

  private async recordFailure(trigger: string, message: string): Promise<void> {
    await this.store.edit((file) => {
      file.failure = { at: this.now().toISOString(), trigger, message };
    });
  }
}
