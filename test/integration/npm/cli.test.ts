import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNpmRegistry, type NpmRegistry } from "../../helpers/npm-registry.js";
import { startOsvServer, type OsvServer } from "../../helpers/osv-server.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";

const run = promisify(execFile);
const BIN = join(REPO_ROOT, "bin", "package-guard.mjs");
let stateDir: string;
let registry: NpmRegistry;
let osv: OsvServer;

// The real bin over the built package (scripts/test.sh builds before testing).
const json = async (...args: string[]): Promise<{ code: number; body: Record<string, unknown> }> => {
  try {
    const { stdout } = await run(process.execPath, [BIN, ...args, "--state-dir", stateDir, "--json"], {
      timeout: 120_000,
    });
    return { code: 0, body: JSON.parse(stdout) as Record<string, unknown> };
  } catch (error) {
    const e = error as { code?: number; stdout?: string };
    return { code: typeof e.code === "number" ? e.code : -1, body: JSON.parse(e.stdout || "null") };
  }
};

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "main.js")))
    throw new Error("dist/ is missing: run `npm run build` (scripts/test.sh does)");
  stateDir = await mkdtemp(join(tmpdir(), "pg-npm-cli-"));
  registry = await startNpmRegistry({ packages: [{ name: "d3", version: "7.9.0" }] });
  osv = await startOsvServer([]);
  const block = { npm: { registry: registry.url }, scan: { osvApiUrl: osv.baseUrl } };
  const config = { plugins: { entries: { "package-guard": { config: block } } } };
  await writeFile(join(stateDir, "openclaw.json"), JSON.stringify(config));
});
afterAll(async () => {
  await registry?.close();
  await osv?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe("package-guard CLI with --ecosystem npm", () => {
  it("whitelist add / list / remove keep npm entries apart from Python ones", async () => {
    const added = await json(
      "whitelist",
      "add",
      "d3",
      "--ecosystem",
      "npm",
      "--maturity",
      "student",
      "--version",
      "7.9.0",
      "--category",
      "charts",
    );
    expect(added).toMatchObject({
      code: 0,
      body: { package: "d3", ecosystem: "npm", version: "7.9.0", maturity: "student", category: "charts" },
    });
    const npmList = await json("whitelist", "list", "--ecosystem", "npm", "--category", "charts");
    expect(npmList.body).toEqual([expect.objectContaining({ package: "d3", ecosystem: "npm" })]);
    const pypiList = (await json("whitelist", "list")).body as unknown as { package: string }[];
    expect(pypiList.map((e) => e.package)).not.toContain("d3");
    expect((await json("whitelist", "add", "D3", "--ecosystem", "npm", "--maturity", "student")).body).toMatchObject({
      code: "INVALID_REQUIREMENT",
    });
  });

  it("check decides npm requests without a network or a process", async () => {
    expect(await json("check", "d3@7.9.0", "--ecosystem", "npm", "--maturity", "student")).toMatchObject({
      code: 0,
      body: { allowed: true, package: "d3", specifier: "7.9.0" },
    });
    expect(await json("check", "d3@latest", "--ecosystem", "npm", "--maturity", "student")).toMatchObject({
      code: 1,
      body: { allowed: false, code: "INVALID_REQUIREMENT" },
    });
    expect(await json("check", "d4", "--ecosystem", "npm", "--maturity", "student")).toMatchObject({
      code: 1,
      body: { allowed: false, code: "NOT_WHITELISTED", hints: ["d3"] },
    });
    expect((await json("check", "d3", "--ecosystem", "cargo", "--maturity", "student")).code).toBe(2);
  });

  it("doctor reports npm, the registry and the npm scanner once the whitelist lists npm packages", async () => {
    const r = await json("doctor");
    expect(r.body.npm).toMatchObject({
      used: true,
      npm: { ok: true, version: expect.stringMatching(/^\d+\.\d+/) },
      registry: { url: registry.url, reachable: true },
      // The loopback OSV API holds no advisories at all: an empty mirror is not a scanner, and doctor says so.
      scanner: { backend: "osv-api", ok: false, problem: expect.stringContaining("no advisory for lodash@4.17.11") },
    });
    // The same findings are rows of doctor's table, each failure with its fix.
    expect(r.body.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ check: "npm", status: "ok" }),
        expect.objectContaining({ check: "npm registry", status: "ok" }),
        expect.objectContaining({ check: "npm scanner", status: "fail", fix: expect.stringContaining("osvApiUrl") }),
      ]),
    );
    expect(r.code).toBe(1);
  });

  it("install --component, installed --ecosystem npm and uninstall --component run the npm pipeline", async () => {
    expect(await json("install", "d3@7.9.0", "--component", "charts")).toMatchObject({
      code: 0,
      body: { ecosystem: "npm", package: "d3", version: "7.9.0", component: "charts", purl: "pkg:npm/d3@7.9.0" },
    });
    expect((await json("installed", "--ecosystem", "npm")).body).toEqual([
      expect.objectContaining({ ecosystem: "npm", package: "d3", version: "7.9.0", component: "charts", direct: true }),
    ]);
    expect(osv.queries.map((q) => q.package)).toContainEqual({ name: "d3", ecosystem: "npm" });
    expect(await json("install", "d3@latest", "--component", "charts")).toMatchObject({
      code: 1,
      body: { code: "INVALID_REQUIREMENT" },
    });
    expect((await json("install", "d3", "--ecosystem", "npm")).code).toBe(2);
    expect(await json("uninstall", "d3", "--component", "charts")).toMatchObject({
      code: 0,
      body: { removed: ["d3"], component: "charts" },
    });
  });

  it("whitelist remove --ecosystem npm removes the npm entry", async () => {
    expect(await json("whitelist", "remove", "d3", "--ecosystem", "npm")).toMatchObject({
      code: 0,
      body: { removed: true, package: "d3", ecosystem: "npm" },
    });
    expect((await json("whitelist", "list", "--ecosystem", "npm", "--maturity", "autonomous")).body).toEqual([]);
  });
});
