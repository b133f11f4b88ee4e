import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { malwareRecord, osvZip, startZipServer, treeRecords, type ZipServer } from "../../helpers/advisory-zip.js";
import type { OsvRecord } from "../../helpers/osv-server.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { toolConfig } from "../../helpers/tool-paths.js";

const run = promisify(execFile);
const BIN = join(REPO_ROOT, "bin", "package-guard.mjs");
let stateDir: string;
let bucket: ZipServer;
let records: OsvRecord[];

const cli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args, "--state-dir", stateDir], {
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
};

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "main.js")))
    throw new Error("dist/ is missing: run `npm run build` (scripts/test.sh does)");
  records = await treeRecords();
  bucket = await startZipServer({ PyPI: osvZip(records) });
  stateDir = await mkdtemp(join(tmpdir(), "pg-cli-advisories-"));
  const config = {
    plugins: {
      entries: {
        "package-guard": {
          config: {
            python: toolConfig(),
            index: { url: "http://127.0.0.1:9/simple" },
            scan: { scanner: "osv-db", osvDbUrl: bucket.url, maxAdvisoryAgeDays: 30 },
          },
        },
      },
    },
  };
  await writeFile(join(stateDir, "openclaw.json"), JSON.stringify(config));
});
afterAll(async () => {
  await bucket?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe("package-guard advisories", () => {
  it("before any update, doctor and status say the database is missing and name the command", async () => {
    const r = await cli("advisories", "status", "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      managed: true,
      databases: { PyPI: null, npm: null },
      scanner: { ok: false, fix: expect.stringContaining("package-guard advisories update") },
    });
  });

  it("update fetches <osvDbUrl>/PyPI/all.zip, prints what it got; doctor shows version, age and count", async () => {
    const r = await cli("advisories", "update");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`PyPI advisories g-`);
    expect(r.stdout).toContain(`${records.length} records (0 malware) from ${bucket.url}/PyPI/all.zip`);
    expect(bucket.requests.map((q) => q.path)).toEqual(["/PyPI/all.zip"]);
    const doctor = JSON.parse((await cli("doctor", "--json")).stdout) as { scanner: Record<string, unknown> };
    expect(doctor.scanner).toMatchObject({
      ok: true,
      layout: "managed",
      advisories: records.length,
      ageDays: 0,
      source: `${bucket.url}/PyPI/all.zip`,
      version: expect.stringMatching(/^PyPI\/g-/),
    });
  });

  it("update --from reads a zip file; a damaged one fails (exit 1) and leaves the database as it was", async () => {
    const zipFile = join(stateDir, "all.zip");
    await writeFile(zipFile, osvZip([...records, malwareRecord("MAL-2099-1", "evilpkg", ["1.0"])]));
    const good = await cli("advisories", "update", "--from", zipFile, "--json");
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ source: zipFile, malware: 1, records: records.length + 1 });
    await writeFile(zipFile, "not a zip");
    const bad = await cli("advisories", "update", "--from", zipFile);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("SCANNER_UNAVAILABLE: The advisory update failed");
    const status = JSON.parse((await cli("advisories", "status", "--json")).stdout) as {
      databases: { PyPI: { malware: number } };
    };
    expect(status.databases.PyPI.malware).toBe(1);
    // Both attempts are in the audit log: the update with what it brought, the failure with its code.
    const logged = JSON.parse((await cli("audit", "query", "--json")).stdout) as {
      status: string;
      code: string | null;
      details: Record<string, unknown> | null;
    }[];
    const updates = logged.filter(
      (r) => r.status === "advisories_updated" || r.details?.action === "advisories-update",
    );
    expect(updates.slice(0, 2).map((r) => [r.status, r.code])).toEqual([
      ["failed", "SCANNER_UNAVAILABLE"],
      ["advisories_updated", null],
    ]);
    expect(updates[1]!.details).toMatchObject({ source: zipFile, malware: 1 });
  });

  it("exposure and rescan answer with no skills installed", async () => {
    const rescan = await cli("rescan", "--json");
    expect(JSON.parse(rescan.stdout)).toMatchObject({ skills: 0, pins: 0, newFindings: 0 });
    const exposure = await cli("exposure");
    expect(exposure.stdout).toContain("No skill holds a known-vulnerable or malicious pin");
  });
});
