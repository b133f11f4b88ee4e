import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExposureReport } from "../../src/service/exposure.js";
import { osvZip, startZipServer, treeRecords, type ZipServer } from "../helpers/advisory-zip.js";
import type { GatewayClient } from "../helpers/gateway-client.js";
import { startGateway, type Gateway } from "../helpers/gateway.js";
import type { OsvRecord } from "../helpers/osv-server.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../helpers/package-index.js";
import { REPO_ROOT } from "../helpers/repo-root.js";
import { toolConfig } from "../helpers/tool-paths.js";

/*
 * Issue 15.4 on a real gateway: a skill is installed, the advisory database is updated by the CLI without a
 * re-scan, and the plugin's background service (registerService) re-scans on its own when the gateway starts.
 * Then `openclaw security audit` runs from the CLI, cold, as an operator would.
 */
const run = promisify(execFile);
const BIN = join(REPO_ROOT, "bin", "package-guard.mjs");
const OPENCLAW = join(REPO_ROOT, "node_modules", "openclaw", "openclaw.mjs");
const TINYCALC_11: OsvRecord = {
  id: "PYSEC-2099-7",
  summary: "tinycalc 1.1.0 evaluates expressions unsafely",
  modified: "2099-01-01T00:00:00Z",
  affected: [
    {
      package: { name: "tinycalc", ecosystem: "PyPI" },
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "1.1.0" }, { fixed: "1.2.0" }] }],
    },
  ],
};

let work: string;
let index: PackageIndex;
let bucket: ZipServer;
let gateway: Gateway | undefined;
let reader: GatewayClient;
let pluginConfig: Record<string, unknown>;

const cli = async (...args: string[]): Promise<string> => {
  const { stdout } = await run(
    process.execPath,
    [BIN, ...args, "--config", join(work, "cli.json"), "--state-dir", join(work, "state")],
    { timeout: 240_000 },
  );
  return stdout;
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pg-e2e-rescan-"));
  await mkdir(join(work, "state"), { recursive: true });
  index = await startPackageIndex({ packages: DEMO_PACKAGES });
  const base = await treeRecords();
  bucket = await startZipServer({ PyPI: osvZip(base) });
  pluginConfig = {
    whitelist: { tiers: { student: [{ package: "tinycalc", version: ">=1" }] } },
    python: toolConfig(),
    index: { url: index.url },
    scan: { scanner: "osv-db", osvDbUrl: bucket.url },
  };
  await writeFile(
    join(work, "cli.json"),
    JSON.stringify({ plugins: { entries: { "package-guard": { config: pluginConfig } } } }),
  );
  // Before the gateway runs: the database, a clean install, then new data with no re-scan of its own.
  await cli("advisories", "update");
  await cli("install", "tinycalc==1.1.0", "--skill", "calc");
  bucket.serve("PyPI", osvZip([...base, TINYCALC_11]));
  await cli("advisories", "update", "--no-rescan");
  gateway = await startGateway({ workDir: work, pluginConfig });
  reader = await gateway.connect(["operator.read"]);
});
afterAll(async () => {
  await gateway?.stop();
  await index?.close();
  await bucket?.close();
  await rm(work, { recursive: true, force: true });
});

describe("re-scans on a real gateway", () => {
  it("the background service re-scans the new advisory data by itself: exposure and a rescan record", async () => {
    // The service's first check runs as the gateway starts; wait for its result, not for a time.
    let report: ExposureReport | undefined;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const r = await reader.call<ExposureReport>("packages.exposure");
      if (r.ok && r.payload.trigger === "advisory data changed") {
        report = r.payload;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(report?.skills).toEqual([
      expect.objectContaining({
        skill: "calc",
        pins: [
          expect.objectContaining({
            package: "tinycalc",
            version: "1.1.0",
            findings: [expect.objectContaining({ id: "PYSEC-2099-7", fixedVersions: ["1.2.0"] })],
          }),
        ],
      }),
    ]);
    const records = await reader.call<{ status: string; code: string; skillId: string; vulnerabilities: string[] }[]>(
      "packages.installations",
      { status: "rescan" },
    );
    expect(records.ok && records.payload).toEqual([
      expect.objectContaining({ skillId: "calc", code: "VULNERABLE", vulnerabilities: ["PYSEC-2099-7"] }),
    ]);
    const doctor = await reader.call<{ scanner: Record<string, unknown> }>("packages.doctor");
    expect(doctor.ok && doctor.payload.scanner).toMatchObject({
      ok: true,
      layout: "managed",
      ageDays: 0,
      version: expect.stringMatching(/^PyPI\/g-/),
    });
  });

  it("openclaw security audit --deep, cold, runs no plugin collector in OpenClaw 2026.9.6 (host limit)", async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(VITEST|TINYPOOL)|^(NODE_ENV|TEST|FORCE_COLOR)$/.test(k)),
    );
    const { stdout } = await run(process.execPath, [OPENCLAW, "security", "audit", "--deep", "--json"], {
      timeout: 180_000,
      env: {
        ...env,
        HOME: join(work, "home"),
        OPENCLAW_STATE_DIR: join(work, "state"),
        OPENCLAW_CONFIG_PATH: join(work, "state", "openclaw.json"),
        NO_COLOR: "1",
      },
    });
    const audit = JSON.parse(stdout) as { findings: { checkId: string }[] };
    expect(audit.findings.length).toBeGreaterThan(0);
    // Host limitation (dist/audit-*.mjs collectPluginSecurityAuditFindings): with no in-process plugin registry the
    // CLI loads plugins in "validate" mode, which returns before register(), so no plugin collector ever runs, with
    // or without a gateway. Our collector's findings are asserted in test/unit/surfaces/security-audit.test.ts.
    // When this fails, OpenClaw runs plugin collectors: assert the package-guard.skill_vulnerable finding here.
    expect(audit.findings.filter((f) => f.checkId.startsWith("package-guard."))).toEqual([]);
  });
});
