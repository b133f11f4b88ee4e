import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { toolConfig } from "../../helpers/tool-paths.js";

const run = promisify(execFile);
const BIN = join(REPO_ROOT, "bin", "package-guard.mjs");
let stateDir: string;

// The real bin over the built package (scripts/test.sh builds before testing).
const cli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    // Options go before a "--" (after it everything is positional, as for a requirement starting with '-').
    const at = args.includes("--") ? args.indexOf("--") : args.length;
    const argv = [...args.slice(0, at), "--state-dir", stateDir, ...args.slice(at)];
    const { stdout, stderr } = await run(process.execPath, [BIN, ...argv], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
};
const json = async (...args: string[]) => {
  const at = args.includes("--") ? args.indexOf("--") : args.length;
  const r = await cli(...args.slice(0, at), "--json", ...args.slice(at));
  return { code: r.code, body: JSON.parse(r.stdout) as Record<string, unknown> };
};

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "main.js")))
    throw new Error("dist/ is missing: run `npm run build` (scripts/test.sh does)");
  stateDir = await mkdtemp(join(tmpdir(), "pg-cli-"));
  const config = {
    plugins: {
      entries: {
        "package-guard": {
          config: {
            agents: { research: "autonomous" },
            python: toolConfig(),
            index: { url: "http://127.0.0.1:9/simple" },
            // Offline advisories: doctor probes the scanner, and tests never reach a real service.
            scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
          },
        },
      },
    },
  };
  await writeFile(join(stateDir, "openclaw.json"), JSON.stringify(config));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe("package-guard check (steps 1-3 only)", () => {
  it("allows pandas>=2.0,<3 for a student", async () => {
    const r = await json("check", "pandas>=2.0,<3", "--maturity", "student");
    expect(r.code).toBe(0);
    expect(r.body).toMatchObject({ allowed: true, package: "pandas", maturity: "student" });
    expect(r.body.specifier).toBe(">=2.0,<3");
  });

  it("denies requests for a student with NOT_WHITELISTED naming intern (exit 1)", async () => {
    const r = await json("check", "requests", "--maturity", "student");
    expect(r.code).toBe(1);
    expect(r.body).toMatchObject({ allowed: false, code: "NOT_WHITELISTED" });
    expect(r.body.message).toBe("Package 'requests' is not approved for student agents; approved at: intern");
  });

  it.each([["pandas @ https://x/y.whl"], ['pandas; os_name=="nt"'], ["-i http://evil pandas"], ["ｐａｎｄａｓ"]])(
    "refuses %s as INVALID_REQUIREMENT",
    async (hostile) => {
      const r = await json("check", "--maturity", "student", "--", hostile);
      expect(r.code).toBe(1);
      expect(r.body).toMatchObject({ allowed: false, code: "INVALID_REQUIREMENT" });
    },
  );

  it("denies torch at autonomous with APPROVAL_REQUIRED (exit 1) while no grant exists (issue 14.2)", async () => {
    const r = await json("check", "torch", "--agent", "research", "--skill", "vision");
    expect(r.code).toBe(1);
    expect(r.body).toMatchObject({
      allowed: false,
      code: "APPROVAL_REQUIRED",
      package: "torch",
      maturity: "autonomous",
      requiresApproval: true,
    });
  });

  it("follows the seed: a range overlapping the approved one is allowed, within both (issue 14.1)", async () => {
    const r = await json("check", "pandas>=2.0.0", "--maturity", "student");
    expect(r.code).toBe(0);
    expect(r.body).toMatchObject({ allowed: true, specifier: ">=2.0.0,<3.0.0" });
    const none = await json("check", "numpy<1.20", "--maturity", "student");
    expect(none.code).toBe(1);
    expect(none.body.message).toContain("request e.g. 'numpy>=1.24.0,<2.0.0'");
  });

  it("prints a human line without --json", async () => {
    const r = await cli("check", "Pandas", "--maturity", "student");
    expect(r.stdout.trim()).toBe("ALLOWED pandas >=2.0.0,<3.0.0 for student agents");
  });

  it("is a usage error (exit 2) without --agent or --maturity", async () => {
    const r = await cli("check", "pandas");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("exactly one of --agent");
  });
});

describe("package-guard whitelist list and doctor", () => {
  it("lists the intern tier with everything below it", async () => {
    const r = await cli("whitelist", "list", "--maturity", "intern", "--json");
    const names = (JSON.parse(r.stdout) as { package: string }[]).map((e) => e.package).toSorted();
    expect(names).toEqual(["beautifulsoup4", "numpy", "pandas", "requests"]);
  });

  it("doctor finds uv and python with their versions", async () => {
    const r = await cli("doctor", "--json");
    const report = JSON.parse(r.stdout) as {
      tools: { name: string; ok: boolean; version: string | null; path: string | null }[];
    };
    const uv = report.tools.find((t) => t.name === "uv");
    expect(uv).toMatchObject({ ok: true, path: toolConfig().uv });
    expect(uv?.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("doctor shows the advisory data the scanner would use: layout, count, newest change, version, age", async () => {
    const r = await cli("doctor", "--json");
    const report = JSON.parse(r.stdout) as { scanner: Record<string, unknown> };
    expect(report.scanner).toMatchObject({
      ok: true,
      backend: "osv-db",
      layout: "pypa-tree",
      advisories: 40,
      source: join(REPO_ROOT, "test", "fixtures", "pypa-advisories", "vulns"),
      version: expect.stringMatching(/^[0-9a-f]{16}$/),
      newest: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      ageDays: expect.any(Number),
    });
  });

  it("rejects a bad config block with the JSON path (exit 2)", async () => {
    const bad = join(stateDir, "bad.json");
    await writeFile(
      bad,
      JSON.stringify({
        plugins: { entries: { "package-guard": { config: { defaultMaturity: "root", scan: { cacheTtlHours: -1 } } } } },
      }),
    );
    const r = await cli("whitelist", "list", "--config", bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("/defaultMaturity: must be one of: student, intern, supervised, autonomous");
    expect(r.stderr).toContain("/scan/cacheTtlHours");
  });
});

describe("package-guard whitelist add / remove", () => {
  it("adds an entry that the next check sees, and removes it again", async () => {
    const added = await json(
      "whitelist",
      "add",
      "tinycalc",
      "--maturity",
      "student",
      "--version",
      ">=1,<2",
      "--category",
      "demo",
    );
    expect(added.code).toBe(0);
    expect(added.body).toMatchObject({ package: "tinycalc", version: ">=1,<2", maturity: "student", category: "demo" });
    expect((await json("check", "tinycalc==1.5", "--maturity", "student")).body).toMatchObject({ allowed: true });
    const removed = await json("whitelist", "remove", "tinycalc");
    expect(removed.body).toMatchObject({ removed: true, package: "tinycalc", stillInstalledIn: [] });
    expect((await json("check", "tinycalc", "--maturity", "student")).body).toMatchObject({
      allowed: false,
      code: "NOT_WHITELISTED",
    });
  });

  it("refuses an invalid entry with exit 1 and says why", async () => {
    const r = await json("whitelist", "add", "pan das", "--maturity", "student");
    expect(r.code).toBe(1);
    expect(r.body).toMatchObject({ code: "INVALID_REQUIREMENT" });
  });
});

describe("package-guard overrides add / list", () => {
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

  it("records an override for one skill and release, lists it live, and logs who made it", async () => {
    const expires = inDays(30);
    const added = await json(
      "overrides",
      "add",
      "PyYAML",
      "5.3",
      "--skill",
      "legacy-etl",
      "--advisory",
      "PYSEC-2020-96",
      "PYSEC-2021-142",
      "--reason",
      "input is trusted",
      "--expires",
      expires,
    );
    expect(added.code).toBe(0);
    expect(added.body).toMatchObject({
      package: "pyyaml",
      version: "5.3",
      skill: "legacy-etl",
      advisories: ["PYSEC-2020-96", "PYSEC-2021-142"],
      expires,
    });
    const listed = await json("overrides", "list");
    expect(listed.body).toEqual([expect.objectContaining({ id: added.body.id, live: true })]);
    const log = await json("audit", "query", "--skill", "legacy-etl");
    expect(log.body).toEqual([
      expect.objectContaining({
        source: "cli",
        package: "pyyaml",
        version: "5.3",
        vulnerabilities: ["PYSEC-2020-96", "PYSEC-2021-142"],
      }),
    ]);
  });

  it("refuses an override without a date it ends (exit 1) or without advisories (usage, exit 2)", async () => {
    const noDate = await json(
      "overrides",
      "add",
      "pyyaml",
      "5.3",
      "--skill",
      "s1",
      "--advisory",
      "PYSEC-2020-96",
      "--reason",
      "trusted",
      "--expires",
      "never",
    );
    expect(noDate.code).toBe(1);
    expect(noDate.body.message).toContain("YYYY-MM-DD");
    const tooLong = await json(
      "overrides",
      "add",
      "pyyaml",
      "5.3",
      "--skill",
      "s1",
      "--advisory",
      "PYSEC-2020-96",
      "--reason",
      "trusted",
      "--expires",
      inDays(400),
    );
    expect(tooLong.code).toBe(1);
    const noAdvisory = await cli(
      "overrides",
      "add",
      "pyyaml",
      "5.3",
      "--skill",
      "s1",
      "--reason",
      "trusted",
      "--expires",
      inDays(3),
    );
    expect(noAdvisory.code).toBe(2);
    expect(noAdvisory.stderr).toContain("--advisory");
  });
});

describe("package-guard install-policy", () => {
  it("blocks with its reason when its own configuration is broken (never an empty answer)", async () => {
    const bad = join(stateDir, "broken.json");
    await writeFile(bad, "{ plugins: { entries: { 'package-guard': { config: { defaultMaturity: 'root' } } } } }");
    const r = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = execFile(
        process.execPath,
        [BIN, "install-policy", "--config", bad, "--state-dir", stateDir],
        (error, stdout) => resolve({ stdout, code: error ? ((error as { code?: number }).code ?? 1) : 0 }),
      );
      child.stdin?.end(
        JSON.stringify({
          protocolVersion: 1,
          targetType: "skill",
          targetName: "x",
          sourcePath: stateDir,
          sourcePathKind: "directory",
        }),
      );
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      protocolVersion: 1,
      decision: "block",
      reason: expect.stringContaining("/defaultMaturity"),
    });
  });
});

describe("openclaw packages … (the same commands mounted in the host's CLI)", () => {
  it("runs check through OpenClaw's own CLI, with the plugin loaded from the built package", async () => {
    const home = join(stateDir, "host-home");
    const hostState = join(stateDir, "host-state");
    await mkdir(home, { recursive: true });
    await mkdir(hostState, { recursive: true });
    await writeFile(
      join(hostState, "openclaw.json"),
      JSON.stringify({
        gateway: { mode: "local" },
        plugins: {
          load: { paths: [REPO_ROOT] },
          entries: { "package-guard": { enabled: true, config: { python: toolConfig() } } },
        },
      }),
    );
    const env = { PATH: process.env.PATH ?? "", HOME: home, OPENCLAW_STATE_DIR: hostState, NO_COLOR: "1" };
    const openclaw = join(REPO_ROOT, "node_modules", "openclaw", "openclaw.mjs");
    const { stdout, stderr } = await run(
      process.execPath,
      [openclaw, "packages", "check", "requests", "--maturity", "intern", "--json"],
      { env, timeout: 150_000 },
    );
    expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toMatchObject({
      allowed: true,
      package: "requests",
      maturity: "intern",
    });
    expect(stderr).not.toContain("failed during register");
  });
});
