import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { isPackageGuardError } from "../../../src/errors.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";
import { startOsvServer, type OsvRecord, type OsvServer } from "../../helpers/osv-server.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { toolConfig } from "../../helpers/tool-paths.js";

/*
 * The whole pipeline of DESIGN.md through the real service: policy, uv resolve against a loopback index,
 * pip-audit against a loopback OSV service, uv install into a per-skill venv, and the audit log.
 */
const run = promisify(execFile);
const TINYCALC_ADVISORY: OsvRecord = {
  id: "PYSEC-2099-7",
  aliases: ["CVE-2099-0007"],
  summary: "tinycalc 1.1.0 evaluates expressions unsafely",
  affected: [
    {
      package: { name: "tinycalc", ecosystem: "PyPI" },
      versions: ["1.1.0"],
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "1.1.0" }, { fixed: "1.2.0" }] }],
    },
  ],
};

let index: PackageIndex;
let osv: OsvServer;
let stateDir: string;
const caller = { source: "tool" as const, agentId: "junior" };

const open = (scan: Record<string, unknown> = {}): Promise<Services> =>
  openServices(
    parseConfig(
      {
        agents: { junior: "student" },
        // datakit pulls tinycalc>=1,<2: tinycalc 1.1.0 (vulnerable) is the newest that fits.
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
        scan: { scanner: "pip-audit", vulnerabilityService: "osv", osvUrl: osv.url, timeoutMs: 60_000, ...scan },
      },
      stateDir,
    ),
  );

const denial = async (
  p: Promise<unknown>,
): Promise<{ code: string; message: string; details: Record<string, unknown> }> => {
  try {
    await p;
  } catch (error) {
    if (isPackageGuardError(error)) return { code: error.code, message: error.message, details: error.details ?? {} };
    throw error;
  }
  throw new Error("expected a denial");
};

beforeAll(async () => {
  index = await startPackageIndex({ packages: DEMO_PACKAGES });
  osv = await startOsvServer([TINYCALC_ADVISORY]);
});
afterAll(async () => {
  await index?.close();
  await osv?.close();
});
afterEach(async () => {
  osv.behave({});
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});
const fresh = async () => {
  stateDir = await mkdtemp(join(tmpdir(), "pg-pipeline-"));
};

describe("the install pipeline", () => {
  it("blocks a transitive vulnerable dependency with every detail, then serves the next scan from cache", async () => {
    await fresh();
    const service = await open();
    const blocked = await denial(service.packages.install({ package: "datakit", skill: "s1" }, caller));
    expect(blocked.code).toBe("VULNERABLE");
    expect(blocked.message).toContain("PYSEC-2099-7 in tinycalc 1.1.0 (fixed in 1.2.0)");
    expect(blocked.details.vulnerabilities).toEqual([
      expect.objectContaining({
        id: "PYSEC-2099-7",
        aliases: ["CVE-2099-0007"],
        package: "tinycalc",
        version: "1.1.0",
        fixedVersions: ["1.2.0"],
      }),
    ]);
    const queries = osv.queries.length;
    // Same resolved set again: both pins come from the scan cache, pip-audit is not run.
    expect((await denial(service.packages.install({ package: "datakit", skill: "s1" }, caller))).code).toBe(
      "VULNERABLE",
    );
    expect(osv.queries.length).toBe(queries);
    // Nothing was installed: a blocked install never reaches the venv.
    expect(await service.operator.installed("s1")).toEqual([]);
  });

  it("a clean pin installs and the venv holds exactly the scanned set", async () => {
    await fresh();
    const service = await open();
    // A request sharing no version with the approved range is refused before anything runs.
    expect(
      (await denial(service.packages.install({ package: "datakit", version: ">=2", skill: "s1" }, caller))).code,
    ).toBe("CONSTRAINT_VIOLATION");
    const ok = await service.packages.install({ package: "tinycalc==1.0.0", skill: "s1" }, caller);
    expect(ok).toMatchObject({
      package: "tinycalc",
      version: "1.0.0",
      vulnerabilitiesFound: 0,
      scan: { scanner: "pip-audit:osv(" + osv.url + ")" },
    });
    const { stdout } = await run(ok.python, ["-c", "import tinycalc; print(tinycalc.__version__)"]);
    expect(stdout.trim()).toBe("1.0.0");
  });

  it("an ignore rule needs to be live: expired it blocks, unexpired it lets the install through", async () => {
    await fresh();
    const expired = await open({
      ignore: [{ id: "CVE-2099-0007", reason: "not reachable from our code", expires: "2020-01-01" }],
    });
    expect((await denial(expired.packages.install({ package: "datakit", skill: "s1" }, caller))).code).toBe(
      "VULNERABLE",
    );
    const live = await open({
      ignore: [{ id: "CVE-2099-0007", reason: "not reachable from our code", expires: "2999-12-31" }],
    });
    const result = await live.packages.install({ package: "datakit", skill: "s1" }, caller);
    expect(result.ignoredVulnerabilities).toEqual([
      {
        id: "PYSEC-2099-7",
        package: "tinycalc",
        version: "1.1.0",
        reason: "not reachable from our code",
        expires: "2999-12-31",
      },
    ]);
    expect(result.dependencies).toEqual([
      { name: "datakit", version: "1.0.0" },
      { name: "tinycalc", version: "1.1.0" },
    ]);
  });

  it("fails closed when the scanner is missing or its service is down, and logs each attempt", async () => {
    await fresh();
    const missing = await open({ timeoutMs: 60_000 });
    const noScanner = await openServices(
      parseConfig(
        {
          python: toolConfig({ pipAudit: "/nonexistent/pip-audit" }),
          index: { url: index.url },
          scan: { vulnerabilityService: "osv", osvUrl: osv.url },
        },
        stateDir,
      ),
    );
    expect((await denial(noScanner.packages.install({ package: "pandas", skill: "s2" }, caller))).code).toBe(
      "SCANNER_UNAVAILABLE",
    );
    osv.behave({ status: 500 });
    expect((await denial(missing.packages.install({ package: "tinycalc==1.0.0", skill: "s3" }, caller))).code).toBe(
      "SCANNER_UNAVAILABLE",
    );
    const records = await missing.operator.installations({ limit: 10 });
    expect(records.map((r) => [r.status, r.code, r.package])).toEqual([
      ["blocked", "SCANNER_UNAVAILABLE", "tinycalc"],
      ["blocked", "SCANNER_UNAVAILABLE", "pandas"],
    ]);
    expect(await missing.operator.installed()).toEqual([]);
  });

  it("two concurrent installs into one skill both land, one after the other", async () => {
    await fresh();
    const service = await open();
    const [a, b] = await Promise.all([
      service.packages.install({ package: "tinycalc==1.0.0", skill: "shared" }, caller),
      service.packages.install({ package: "pandas", skill: "shared" }, caller),
    ]);
    expect([a.package, b.package].toSorted()).toEqual(["pandas", "tinycalc"]);
    const installed = (await service.operator.installed("shared")).map((p) => `${p.package}==${p.version}`).toSorted();
    expect(installed).toEqual(["numpy==1.26.4", "pandas==2.2.3", "tinycalc==1.0.0"]);
    const removed = await service.packages.uninstall(
      { package: "pandas", skill: "shared" },
      { source: "rpc", client: "op" },
    );
    expect(removed.removed.toSorted()).toEqual(["numpy", "pandas"]);
    expect((await service.operator.installed("shared")).map((p) => p.package)).toEqual(["tinycalc"]);
    expect((await service.operator.verifyAudit()).ok).toBe(true);
  });

  it("an operator override lets exactly that vulnerable release into that skill; the log names it", async () => {
    await fresh();
    const service = await open();
    const override = await service.operator.overridesAdd(
      {
        skill: "s1",
        package: "tinycalc",
        version: "1.1.0",
        advisories: ["CVE-2099-0007"],
        reason: "only the safe API is used",
        expires: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
      },
      { source: "rpc", client: "op" },
    );
    const result = await service.packages.install({ package: "datakit", skill: "s1" }, caller);
    expect(result.vulnerabilitiesFound).toBe(1);
    expect(result.ignoredVulnerabilities).toEqual([
      expect.objectContaining({ id: "PYSEC-2099-7", reason: `override ${override.id}: only the safe API is used` }),
    ]);
    const [record] = await service.operator.installations({ limit: 1 });
    expect(record).toMatchObject({
      status: "completed",
      vulnerabilities: ["PYSEC-2099-7"],
      details: { overrides: [{ override: override.id, advisory: "PYSEC-2099-7", by: "op" }] },
    });
    // Another skill gets nothing from it.
    expect((await denial(service.packages.install({ package: "datakit", skill: "s2" }, caller))).code).toBe(
      "VULNERABLE",
    );
    // Vetting a skill's declared dependencies applies the same override, and only to that skill.
    const vetted = await service.packages.vetSkill({ skill: "s1", requirements: ["datakit"], source: "policy" });
    expect(vetted.decision).toBe("allow");
    expect(vetted.items[0]).toMatchObject({ overridden: [{ advisory: "PYSEC-2099-7", override: override.id }] });
    expect(
      (await service.packages.vetSkill({ skill: "s2", requirements: ["datakit"], source: "policy" })).items[0],
    ).toMatchObject({ allowed: false, code: "VULNERABLE" });
  });
});
