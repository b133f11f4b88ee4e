import { execFile } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type IgnoreRule } from "../../../src/config.js";
import { isPackageGuardError } from "../../../src/errors.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";
import { malwareRecord, osvZip, startZipServer, treeRecords, type ZipServer } from "../../helpers/advisory-zip.js";
import type { OsvRecord } from "../../helpers/osv-server.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { toolConfig } from "../../helpers/tool-paths.js";

/*
 * Issue 15.2-15.4 through the real service: the managed advisory database fed from a loopback OSV bucket, real uv
 * installs from a loopback index, re-scans after each update, malware, and quarantine.
 */
const run = promisify(execFile);
const TINYCALC_11: OsvRecord = {
  id: "PYSEC-2099-7",
  aliases: ["CVE-2099-0007"],
  summary: "tinycalc 1.1.0 evaluates expressions unsafely",
  modified: "2099-01-01T00:00:00Z",
  affected: [
    {
      package: { name: "tinycalc", ecosystem: "PyPI" },
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "1.1.0" }, { fixed: "1.2.0" }] }],
    },
  ],
};
const TINYCALC_10_MALWARE = malwareRecord("MAL-2099-10", "tinycalc", ["1.0.0"]);

let index: PackageIndex;
let bucket: ZipServer;
let stateDir: string;
let base: OsvRecord[];
let service: Services;
const caller = { source: "tool" as const, agentId: "junior" };

const open = (ignore: IgnoreRule[] = []): Promise<Services> =>
  openServices(
    parseConfig(
      {
        agents: { junior: "student" },
        whitelist: {
          tiers: {
            student: [
              { package: "datakit", version: ">=1,<2" },
              { package: "tinycalc", version: ">=1" },
            ],
          },
        },
        python: toolConfig(),
        index: { url: index.url },
        // osv-db without a directory: the managed database, fed from the loopback bucket.
        scan: { scanner: "osv-db", osvDbUrl: bucket.url, ignore },
      },
      stateDir,
    ),
  );

const denial = async (p: Promise<unknown>): Promise<{ code: string; message: string }> => {
  try {
    await p;
  } catch (error) {
    if (isPackageGuardError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a denial");
};

const update = (records: OsvRecord[]) => {
  bucket.serve("PyPI", osvZip(records));
  return service.operator.advisoriesUpdate({}, { source: "cli", client: "cli" });
};

beforeAll(async () => {
  index = await startPackageIndex({ packages: DEMO_PACKAGES });
  base = await treeRecords();
  bucket = await startZipServer();
  stateDir = await mkdtemp(join(tmpdir(), "pg-rescan-"));
  service = await open();
});
afterAll(async () => {
  await index?.close();
  await bucket?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("advisories, re-scans, malware and quarantine", () => {
  it("installs against a freshly fetched database, and every install names the data's version and age", async () => {
    const first = await update(base);
    expect(first).toMatchObject({ records: base.length, source: `${bucket.url}/PyPI/all.zip`, rescan: { skills: 0 } });
    const s1 = await service.packages.install({ package: "datakit", skill: "s1" }, caller);
    expect(s1.dependencies.map((d) => `${d.name}==${d.version}`)).toEqual(["datakit==1.0.0", "tinycalc==1.1.0"]);
    expect(s1.scan.source).toMatchObject({
      id: `managed:${join(stateDir, "package-guard", "advisories")}`,
      version: `PyPI/${first.generation}`,
      ageDays: 0,
      advisories: base.length,
    });
    const s2 = await service.packages.install({ package: "tinycalc", version: "==1.0.0", skill: "s2" }, caller);
    expect(s2.version).toBe("1.0.0");
    const doctor = await service.operator.doctor();
    expect(doctor.scanner).toMatchObject({ ok: true, layout: "managed", advisories: base.length, ageDays: 0 });
  });

  it("an update that adds an advisory flips an installed skill to exposed within one re-scan", async () => {
    const result = await update([...base, TINYCALC_11]);
    expect(result.rescan).toMatchObject({ skills: 2, exposedSkills: ["s1"], maliciousSkills: [], newFindings: 1 });
    const exposure = await service.operator.exposure();
    expect(exposure.skills).toEqual([
      expect.objectContaining({
        skill: "s1",
        malicious: false,
        pins: [
          expect.objectContaining({
            package: "tinycalc",
            version: "1.1.0",
            findings: [expect.objectContaining({ id: "PYSEC-2099-7", fixedVersions: ["1.2.0"] })],
          }),
        ],
      }),
    ]);
    const [record] = await service.operator.installations({ limit: 1, status: "rescan" });
    expect(record).toMatchObject({
      source: "system",
      skillId: "s1",
      package: "tinycalc",
      version: "1.1.0",
      code: "VULNERABLE",
      vulnerabilities: ["PYSEC-2099-7"],
    });
  });

  it("malware in an installed pin is a MALICIOUS re-scan record; installing it anywhere is MALICIOUS", async () => {
    const result = await update([...base, TINYCALC_11, TINYCALC_10_MALWARE]);
    expect(result.rescan).toMatchObject({ maliciousSkills: ["s2"], newFindings: 1 });
    const [record] = await service.operator.installations({ limit: 1, status: "rescan" });
    expect(record).toMatchObject({ skillId: "s2", code: "MALICIOUS", vulnerabilities: ["MAL-2099-10"] });
    // An ignore rule naming the record changes nothing: malware is never ignorable.
    const ignoring = await open([{ id: "MAL-2099-10", reason: "we trust it", expires: "2999-12-31" }]);
    const blocked = await denial(
      ignoring.packages.install({ package: "tinycalc", version: "==1.0.0", skill: "s3" }, caller),
    );
    expect(blocked.code).toBe("MALICIOUS");
    expect(blocked.message).toContain("MAL-2099-10 in tinycalc 1.0.0");
    const [audited] = await service.operator.installations({ limit: 1, skillId: "s3" });
    expect(audited).toMatchObject({ status: "blocked", code: "MALICIOUS", vulnerabilities: ["MAL-2099-10"] });
    const vet = await ignoring.packages.vetSkill({ skill: "s4", requirements: ["tinycalc==1.0.0"], source: "policy" });
    expect(vet).toMatchObject({ decision: "block", items: [expect.objectContaining({ code: "MALICIOUS" })] });
  });

  it("quarantine takes the venv out of use until an operator releases it", async () => {
    const op = { source: "rpc" as const, client: "op" };
    const venv = join(stateDir, "package-guard", "venvs", "s2");
    const q = await service.operator.quarantine("s2", "malware found by re-scan", op);
    expect(q).toMatchObject({ skill: "s2", already: false, movedTo: expect.stringContaining(".quarantine") });
    await expect(stat(venv)).rejects.toMatchObject({ code: "ENOENT" });
    expect((await stat(q.movedTo!)).mode & 0o777).toBe(0);
    const refused = await denial(service.packages.install({ package: "datakit", skill: "s2" }, caller));
    expect(refused.code).toBe("QUARANTINED");
    expect(refused.message).toContain("package-guard quarantine release s2");
    expect((await service.operator.exposure()).skills.find((s) => s.skill === "s2")).toMatchObject({
      malicious: true,
      quarantined: true,
    });
    // The recorded set holds the malware: a rebuild would reinstall it.
    expect((await denial(service.operator.quarantineRelease("s2", "rebuild", op))).code).toBe("MALICIOUS");
    await service.operator.quarantineRelease("s2", "reset", op);
    expect(await service.operator.installed("s2")).toEqual([]);
    expect(await readdir(join(stateDir, "package-guard", "venvs", ".quarantine"))).toEqual([]);
    // Outcomes only: the refused install also wrote its write-ahead 'started' record (issue 13.9).
    const statuses = (await service.operator.installations({ limit: 10, skillId: "s2" }))
      .map((r) => r.status)
      .filter((status) => status !== "started");
    expect(statuses.slice(0, 4)).toEqual(["quarantine_released", "blocked", "blocked", "quarantined"]);
  });

  it("restore gives the same venv back, working", async () => {
    const op = { source: "cli" as const, client: "cli" };
    await service.operator.quarantine("s1", undefined, op);
    expect((await service.operator.quarantineList()).map((q) => q.skill)).toEqual(["s1"]);
    await service.operator.quarantineRelease("s1", "restore", op);
    const python = join(stateDir, "package-guard", "venvs", "s1", "bin", "python");
    const { stdout } = await run(python, ["-c", "import tinycalc, datakit; print('ok')"]);
    expect(stdout.trim()).toBe("ok");
    expect(await service.operator.quarantineList()).toEqual([]);
  });

  it("rebuild makes a fresh venv with the recorded pins, scanned again, and drops the quarantined copy", async () => {
    const op = { source: "cli" as const, client: "cli" };
    const before = (await service.operator.installed("s1")).map((p) => `${p.package}==${p.version}`).toSorted();
    const q = await service.operator.quarantine("s1", "suspected tampering", op);
    // The recorded set is scanned again first: tinycalc 1.1.0 became vulnerable (above), so it is refused ...
    const refused = await denial(service.operator.quarantineRelease("s1", "rebuild", op));
    expect(refused.code).toBe("VULNERABLE");
    expect(refused.message).toContain("PYSEC-2099-7 in tinycalc 1.1.0");
    // ... until an operator accepts that advisory for this skill.
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await service.operator.overridesAdd(
      { skill: "s1", package: "tinycalc", version: "1.1.0", advisories: ["PYSEC-2099-7"], reason: "test", expires },
      { source: "rpc", client: "op" },
    );
    await service.operator.quarantineRelease("s1", "rebuild", op);
    const after = (await service.operator.installed("s1")).map((p) => `${p.package}==${p.version}`).toSorted();
    expect(after).toEqual(before);
    const python = join(stateDir, "package-guard", "venvs", "s1", "bin", "python");
    const { stdout } = await run(python, ["-c", "import tinycalc, datakit; print('ok')"]);
    expect(stdout.trim()).toBe("ok");
    await expect(stat(q.movedTo!)).rejects.toMatchObject({ code: "ENOENT" });
    const [released] = await service.operator.installations({ limit: 1, skillId: "s1" });
    expect(released).toMatchObject({ status: "quarantine_released" });
  });
});
