import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { CONTROLS, INSTALLS, OPAQUE, ORDINARY } from "../../unit/shell/table.js";

const run = promisify(execFile);
const BIN = join(REPO_ROOT, "bin", "package-guard.mjs");
let stateDir: string;

const writeConfig = async (dir: string, block: unknown): Promise<void> =>
  writeFile(
    join(dir, "openclaw.json"),
    JSON.stringify({ plugins: { entries: { "package-guard": { config: block } } } }),
  );

// The real bin over the built package, as an operator runs it.
const shellCheck = async (command: string, dir = stateDir, ...options: string[]) => {
  try {
    const { stdout } = await run(
      process.execPath,
      [BIN, "shell-check", "--json", "--state-dir", dir, ...options, "--", command],
      {
        timeout: 60_000,
      },
    );
    return { code: 0, body: JSON.parse(stdout) as Record<string, unknown> };
  } catch (error) {
    const e = error as { code?: number; stdout?: string };
    return { code: e.code ?? -1, body: JSON.parse(e.stdout || "{}") as Record<string, unknown> };
  }
};

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "main.js")))
    throw new Error("dist/ is missing: run `npm run build` (scripts/test.sh does)");
  stateDir = await mkdtemp(join(tmpdir(), "pg-shell-check-"));
  await writeConfig(stateDir, {});
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

// One row per family and construct the unit table checks in full (test/unit/shell/table.test.ts): here the bin.
const SAMPLE = [
  ...INSTALLS.filter((_, i) => i % 12 === 0),
  ...OPAQUE.filter((_, i) => i % 8 === 0),
  // Writes into the guard's folder depend on where it is: tested below with this state dir.
  ...CONTROLS.filter(([, expected]) => expected.startsWith("guard:")).filter((_, i) => i % 6 === 0),
];

describe("package-guard shell-check", () => {
  it.each(SAMPLE)("%s -> exit 1, %s", async (command, expected) => {
    const r = await shellCheck(command);
    expect(r.code).toBe(1);
    expect(r.body.decision).toBe("block");
    expect(`${String(r.body.kind)}:${String(r.body.family)}`).toBe(expected);
    expect(String(r.body.reason)).toMatch(/^\[SHELL_BLOCKED\] /);
  });

  it.each(ORDINARY.filter((_, i) => i % 12 === 0))("%s -> exit 0, pass", async (command) => {
    const r = await shellCheck(command);
    expect(r).toMatchObject({ code: 0, body: { decision: "pass" } });
  });

  it("a plain pip install prints the install_package call to make instead", async () => {
    const r = await shellCheck("pip install requests");
    expect(r.body.suggestion).toBe('install_package {"package":"requests","skill":"<your skill id>"}');
  });

  it("shell.mode approve answers approve (exit 1); off answers pass (exit 0)", async () => {
    const approve = await mkdtemp(join(tmpdir(), "pg-shell-check-approve-"));
    const off = await mkdtemp(join(tmpdir(), "pg-shell-check-off-"));
    try {
      await writeConfig(approve, { shell: { mode: "approve" } });
      await writeConfig(off, { shell: { mode: "off" } });
      expect(await shellCheck("pip install six", approve)).toMatchObject({
        code: 1,
        body: { decision: "approve", family: "pip" },
      });
      expect(await shellCheck("pip install six", off)).toMatchObject({ code: 0, body: { decision: "pass" } });
    } finally {
      await rm(approve, { recursive: true, force: true });
      await rm(off, { recursive: true, force: true });
    }
  });

  it("a bad configuration is a usage error (exit 2) naming the problem", async () => {
    const bad = await mkdtemp(join(tmpdir(), "pg-shell-check-bad-"));
    try {
      await writeConfig(bad, { shell: { mode: "sometimes" } });
      const r = await shellCheck("pip install six", bad);
      expect(r.code).toBe(2);
      expect(r.body).toMatchObject({ code: "CONFIG_INVALID" });
      expect(String(r.body.message)).toContain("/shell/mode");
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it("a write into the guard's folder under --state-dir is refused", async () => {
    const r = await shellCheck(`rm -rf ${stateDir}/package-guard`);
    expect(r).toMatchObject({ code: 1, body: { kind: "protected", family: "state-write" } });
  });

  it("--agent resolves relative paths in that agent's workspace", async () => {
    const r = await shellCheck("echo x > ../package-guard/audit.jsonl", stateDir, "--agent", "research");
    expect(r).toMatchObject({ code: 1, body: { kind: "protected" } });
  });
});
