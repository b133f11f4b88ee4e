import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditInput } from "../../../src/audit/log.js";
import { parseConfig, type PackageGuardConfig } from "../../../src/config.js";
import { OverrideStore } from "../../../src/policy/overrides.js";
import type { PythonEnvironment, QuarantineRecord } from "../../../src/python/environment.js";
import type { InstalledPackage } from "../../../src/python/types.js";
import { ScanCache } from "../../../src/scan/cache.js";
import { OsvDbScanner } from "../../../src/scan/osv-db.js";
import { VulnerabilityScanService } from "../../../src/scan/scan-service.js";
import { ExposureService, readExposureReport } from "../../../src/service/exposure.js";
import { exposureFindings } from "../../../src/surfaces/security-audit.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";

const FIXTURE = join(REPO_ROOT, "test", "fixtures", "pypa-advisories");

const pin = (skill: string, name: string, version: string): InstalledPackage => ({
  package: name,
  version,
  skill,
  direct: true,
  installedAt: null,
  vulnerabilitiesFound: 0,
});

describe("re-scan of installed skills (ExposureService)", () => {
  let work: string;
  let db: string;
  let config: PackageGuardConfig;
  let records: AuditInput[];
  let installed: InstalledPackage[];
  let quarantined: QuarantineRecord[];
  let clock: number;
  const now = () => new Date(clock);
  const python = {
    installed: async () => installed,
    quarantined: async () => quarantined,
    validateSkill: (s: unknown) => String(s),
  } as unknown as PythonEnvironment;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), "exposure-"));
    db = join(work, "db");
    await cp(FIXTURE, db, { recursive: true });
    config = parseConfig({ scan: { scanner: "osv-db", osvDbDir: db } }, join(work, "state"));
    records = [];
    quarantined = [];
    clock = Date.parse("2030-01-01T00:00:00Z");
    installed = [
      pin("web", "requests", "2.32.3"),
      pin("web", "pyyaml", "6.0.1"),
      pin("etl", "pyyaml", "5.3"),
      pin("etl", "requests", "2.32.3"),
    ];
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  const service = (overrides = new OverrideStore(join(work, "overrides.json"), now)) =>
    new ExposureService({
      config,
      python,
      audit: { append: async (r: AuditInput) => void records.push(r) } as never,
      overrides,
      scan: async () =>
        new VulnerabilityScanService({
          scanner: new OsvDbScanner(db, { now }),
          cache: await ScanCache.open({ file: join(work, "cache.json"), ttlHours: 24, now }),
          ignore: [],
          now,
        }),
      now,
    });

  it("lists which skills hold which vulnerable pins and fixed versions, and audits each new finding once", async () => {
    const summary = await service().rescan("scheduled");
    expect(summary).toMatchObject({ skills: 2, pins: 3, exposedSkills: ["etl"], maliciousSkills: [], newFindings: 2 });
    const report = await service().report();
    expect(report.skills).toEqual([
      {
        skill: "etl",
        malicious: false,
        quarantined: false,
        pins: [
          {
            ecosystem: "PyPI",
            package: "pyyaml",
            version: "5.3",
            findings: [
              expect.objectContaining({ id: "PYSEC-2020-96", fixedVersions: ["5.3.1"], malicious: false }),
              expect.objectContaining({ id: "PYSEC-2021-142", fixedVersions: ["5.4"], malicious: false }),
            ],
          },
        ],
      },
    ]);
    expect(records.map((r) => [r.status, r.skillId, r.package, r.version, r.code, r.vulnerabilities])).toEqual([
      ["rescan", "etl", "pyyaml", "5.3", "VULNERABLE", ["PYSEC-2020-96", "PYSEC-2021-142"]],
    ]);
    expect(records[0]?.reason).toContain("fixed in 5.4");
    // Nothing new the second time: no new records.
    clock += 60_000;
    expect((await service().rescan("scheduled")).newFindings).toBe(0);
    expect(records).toHaveLength(1);
  });

  it("an advisory added to the data flips a clean skill to exposed within one re-scan", async () => {
    await service().rescan("scheduled");
    records.length = 0;
    await writeFile(
      join(db, "vulns", "requests", "PYSEC-2099-9.yaml"),
      "id: PYSEC-2099-9\naffected:\n- package: {name: requests, ecosystem: PyPI}\n" +
        "  ranges: [{type: ECOSYSTEM, events: [{introduced: '2.0'}, {fixed: '2.33.0'}]}]\n",
    );
    clock += 2_000;
    const exposure = service();
    const changed = await exposure.currentVersion();
    expect(changed).not.toBe((await exposure.last()).version);
    const summary = await exposure.rescan("advisory data changed");
    expect(summary.exposedSkills).toEqual(["etl", "web"]);
    expect(records.map((r) => [r.skillId, r.package, r.vulnerabilities])).toEqual([
      ["web", "requests", ["PYSEC-2099-9"]],
      ["etl", "requests", ["PYSEC-2099-9"]],
    ]);
    expect((await exposure.last()).version).toBe(changed);
  });

  it("malware becomes a MALICIOUS rescan record, and the security audit calls it critical", async () => {
    await writeFile(
      join(db, "vulns", "requests", "MAL-2099-3.yaml"),
      "id: MAL-2099-3\nsummary: Malicious code in requests\naffected:\n" +
        "- package: {name: requests, ecosystem: PyPI}\n  versions: ['2.32.3']\n",
    );
    const summary = await service().rescan("scheduled");
    expect(summary.maliciousSkills).toEqual(["etl", "web"]);
    const web = records.find((r) => r.skillId === "web");
    expect(web).toMatchObject({ status: "rescan", code: "MALICIOUS", vulnerabilities: ["MAL-2099-3"] });
    expect(web?.reason).toContain("package-guard quarantine add web");
    const findings = exposureFindings(await readExposureReport(config, python), config, now());
    expect(findings.filter((f) => f.severity === "critical").map((f) => f.title)).toEqual([
      "Skill 'etl' holds malware",
      "Skill 'web' holds malware",
    ]);
    quarantined = [
      { version: 1, skill: "web", at: "2030-01-01T00:00:00Z", by: "op", reason: "malware", movedTo: null },
    ];
    const after = exposureFindings(await readExposureReport(config, python), config, now());
    expect(after.find((f) => f.title.startsWith("Skill 'web' holds malware"))?.severity).toBe("warn");
    expect(after.map((f) => f.checkId)).toContain("package-guard.skill_quarantined");
  });

  it("lists a finding an override let in, with the override, and does not alert on it", async () => {
    const overrides = new OverrideStore(join(work, "overrides.json"), now);
    const o = await overrides.add(
      {
        skill: "etl",
        package: "pyyaml",
        version: "5.3",
        advisories: ["PYSEC-2020-96", "PYSEC-2021-142"],
        reason: "loader never used",
        expires: "2030-06-01",
      },
      "op",
    );
    await service(overrides).rescan("scheduled");
    expect(records).toEqual([]);
    const report = await service(overrides).report("etl");
    expect(report.skills[0]?.pins[0]?.findings.map((f) => f.override)).toEqual([o.id, o.id]);
    expect(exposureFindings(report, config, now()).map((f) => f.checkId)).not.toContain(
      "package-guard.skill_vulnerable",
    );
  });

  it("records a failed re-scan, which the security audit reports, and keeps the last good result", async () => {
    await service().rescan("scheduled");
    await rm(db, { recursive: true });
    clock += 2_000;
    await expect(service().rescan("scheduled")).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
    const report = await service().report();
    expect(report.failure).toMatchObject({ trigger: "scheduled", message: expect.stringContaining("cannot be read") });
    expect(report.skills.map((s) => s.skill)).toEqual(["etl"]);
    expect(exposureFindings(report, config, now()).map((f) => f.checkId)).toContain("package-guard.rescan_failed");
  });

  it("the security audit says when no re-scan ran, and when the last one is older than twice rescanHours", async () => {
    expect(exposureFindings(await service().report(), config, now()).map((f) => f.checkId)).toEqual([
      "package-guard.rescan_missing",
    ]);
    await service().rescan("scheduled");
    clock += 49 * 3_600_000;
    expect(exposureFindings(await service().report(), config, now()).map((f) => f.checkId)).toContain(
      "package-guard.rescan_stale",
    );
  });
});
