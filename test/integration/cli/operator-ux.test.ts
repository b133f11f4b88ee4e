import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { toolConfig } from "../../helpers/tool-paths.js";

/* Issue 14, items 5-9 through the real bin (and a fresh bash for the set-up script). */
const execFileP = promisify(execFile);
const BIN = join(REPO_ROOT, "bin", "package-guard.mjs");

type Run = { code: number; stdout: string; stderr: string };
const exec = async (file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Run> => {
  try {
    const { stdout, stderr } = await execFileP(file, args, { timeout: 120_000, ...(env ? { env } : {}) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
};

let dir: string;
let index: PackageIndex;

/** A state dir with an openclaw.json holding `block` (and OpenClaw agents `agents`). */
const stateWith = async (name: string, block: unknown, agents: string[] = ["main"]): Promise<string> => {
  const state = join(dir, name);
  await execFileP("mkdir", ["-p", state]);
  await writeFile(
    join(state, "openclaw.json"),
    JSON.stringify({
      agents: { entries: Object.fromEntries(agents.map((a) => [a, {}])) },
      plugins: { entries: { "package-guard": { config: block } } },
    }),
  );
  return state;
};
const pg = (state: string, ...args: string[]) => exec(process.execPath, [BIN, ...args, "--state-dir", state]);
const widest = (text: string) => Math.max(...text.split("\n").map((l) => l.length));

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "main.js")))
    throw new Error("dist/ is missing: run `npm run build` (scripts/test.sh does)");
  dir = await mkdtemp(join(tmpdir(), "pg-opux-"));
  index = await startPackageIndex({ packages: [{ name: "pyyaml", version: "6.0.2", module: "yaml" }] });
});
afterAll(async () => {
  await index?.close();
  await rm(dir, { recursive: true, force: true });
});

const healthy = () => ({
  python: toolConfig(),
  index: { url: index.url },
  scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
  whitelist: { includeDefault: false, tiers: { student: [{ package: "pyyaml", version: ">=6,<7" }] } },
});

describe("doctor finds what will make installs fail (issue 14.5, 14.6)", () => {
  it("a healthy set-up: exit 0, a table within 100 columns, --json with every check", async () => {
    const state = await stateWith("healthy", healthy());
    const human = await pg(state, "doctor");
    expect(human.code, human.stdout + human.stderr).toBe(0);
    expect(widest(human.stdout)).toBeLessThanOrEqual(100);
    expect(human.stdout).toMatch(/^ok {4}whitelist {2}/m);
    expect(human.stdout).not.toMatch(/^FAIL/m);
    const json = await pg(state, "doctor", "--json");
    const report = JSON.parse(json.stdout) as { ok: boolean; checks: { check: string; status: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(["config", "python", "uv", "pip-audit", "state dir", "index", "scanner", "whitelist"]),
    );
  });

  it("an index that does not answer and an advisory folder that is not one: each a failing line, exit 1", async () => {
    // A port nothing listens on: bound, then closed, so the connection is refused.
    const dead = await startPackageIndex({ packages: [] });
    const deadUrl = dead.url;
    await dead.close();
    const empty = join(dir, "no-advisories");
    await execFileP("mkdir", ["-p", empty]);
    const state = await stateWith("dead-index", {
      ...healthy(),
      index: { url: deadUrl },
      scan: { scanner: "osv-db", osvDbDir: empty },
    });
    const doctor = await pg(state, "doctor", "--json");
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(1);
    const checks = (JSON.parse(doctor.stdout) as { checks: { check: string; status: string; fix?: string }[] }).checks;
    const line = (name: string) => checks.find((c) => c.check === name);
    expect(line("index")).toMatchObject({ status: "fail", fix: expect.any(String) });
    expect(line("scanner")).toMatchObject({ status: "fail", fix: expect.any(String) });
    expect(line("uv")?.status).toBe("ok");
  });

  it("a missing whitelist file: doctor exit 1 with its fix; check and install refuse (closed)", async () => {
    const state = await stateWith("missing-file", { ...healthy(), whitelist: { file: "nowhere.yaml" } });
    const doctor = await pg(state, "doctor", "--json");
    expect(doctor.code).toBe(1);
    const report = JSON.parse(doctor.stdout) as { checks: { check: string; status: string; fix?: string }[] };
    expect(report.checks).toContainEqual(
      expect.objectContaining({ check: "whitelist", status: "fail", fix: expect.stringContaining("nowhere.yaml") }),
    );
    const check = await pg(state, "check", "pyyaml", "--maturity", "student", "--json");
    // A configuration error, so exit 2 (as everywhere), with the code printed.
    expect(check.code).toBe(2);
    expect(JSON.parse(check.stdout)).toMatchObject({ allowed: false, code: "CONFIG_INVALID" });
  });

  it("ranges that match no version, statically or on the index, are each named with their fix", async () => {
    const file = join(dir, "ranges.yaml");
    await writeFile(
      file,
      "tiers:\n  student:\n    - package: pyyaml\n      version: '>=99'\n" +
        "    - package: tinycalc\n      version: '>=3,<2'\n",
    );
    const state = await stateWith("ranges", { ...healthy(), whitelist: { includeDefault: false, file } });
    const doctor = await pg(state, "doctor", "--json");
    expect(doctor.code).toBe(1);
    const failures = (JSON.parse(doctor.stdout) as { checks: { status: string; detail: string }[] }).checks
      .filter((c) => c.status === "fail")
      .map((c) => c.detail);
    expect(failures).toContainEqual(expect.stringContaining("pyyaml (student, " + file + "): no release on the index"));
    expect(failures).toContainEqual(expect.stringContaining("tinycalc (student, " + file + "): the range '>=3,<2'"));
    // The package it cannot judge is refused; the decision says why.
    const check = await pg(state, "check", "tinycalc", "--maturity", "student", "--json");
    expect(JSON.parse(check.stdout)).toMatchObject({ allowed: false, code: "CONFIG_INVALID" });
  });

  it("agent ids must be OpenClaw's: a case mismatch is a warning with the rename to make", async () => {
    const state = await stateWith("agents", { ...healthy(), agents: { Boss: "autonomous" } }, ["boss", "main"]);
    const doctor = await pg(state, "doctor", "--json");
    const checks = (JSON.parse(doctor.stdout) as { checks: { check: string; status: string; fix?: string }[] }).checks;
    expect(checks).toContainEqual(
      expect.objectContaining({ check: "agents", status: "warn", fix: expect.stringContaining("'boss'") }),
    );
    expect(doctor.code).toBe(0);
  });

  it("an invalid plugin block: exit 2, each problem with its JSON path (table and JSON)", async () => {
    const state = await stateWith("bad", { defaultMaturity: "root" });
    const human = await pg(state, "doctor");
    expect(human.code).toBe(2);
    expect(human.stdout).toContain("/defaultMaturity: must be one of: student, intern, supervised, autonomous");
    expect(widest(human.stdout)).toBeLessThanOrEqual(100);
    const json = await pg(state, "doctor", "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, configValid: false });
  });

  it("one rule for python: a bare name is recorded, and every process then uses the recorded interpreter", async () => {
    const state = await stateWith("python", { ...healthy(), python: { ...toolConfig(), python: "python3" } });
    const first = JSON.parse((await pg(state, "doctor", "--json")).stdout) as { python: { path: string } };
    // Another process with a PATH where python3 is elsewhere (or missing) still gets the recorded one.
    const env = { ...process.env, PATH: "/nonexistent" };
    const second = await exec(process.execPath, [BIN, "doctor", "--json", "--state-dir", state], env);
    const report = JSON.parse(second.stdout) as { python: { path: string; how: string }; checks: unknown[] };
    expect(report.python).toMatchObject({ path: first.python.path, how: "recorded" });
    expect(report.checks).toContainEqual(expect.objectContaining({ check: "python", status: "warn" }));
  });
});

describe("the seed's semantics through real uv (issue 14.1)", () => {
  it("a request range overlapping the approved one installs inside both, never above the whitelist", async () => {
    // The index also has 7.0.0, which the request alone (>=5) would take and the whitelist (>=6,<7) does not.
    const wide = await startPackageIndex({
      packages: [
        { name: "pyyaml", version: "6.0.2", module: "yaml" },
        { name: "pyyaml", version: "7.0.0", module: "yaml" },
      ],
    });
    try {
      const state = await stateWith("overlap", { ...healthy(), index: { url: wide.url } });
      const r = await pg(state, "install", "pyyaml>=5", "--skill", "seed", "--agent", "main", "--json");
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ package: "pyyaml", version: "6.0.2", skill: "seed" });
      const installed = await pg(state, "installed", "--skill", "seed", "--json");
      expect(JSON.stringify(JSON.parse(installed.stdout))).toContain("6.0.2");
      expect(installed.stdout).not.toContain("7.0.0");
    } finally {
      await wide.close();
    }
  });
});

describe("human output and exit codes (issue 14.9)", () => {
  it("audit query, installed, whitelist list and approvals list fit 100 columns; --json is JSON", async () => {
    const state = await stateWith("tables", {
      ...healthy(),
      whitelist: { includeDefault: true },
      agents: { research: "autonomous" },
    });
    // torch needs approval at autonomous: a pending approval and audit records, with nothing run.
    const install = await pg(state, "install", "torch", "--skill", "vision", "--agent", "research", "--json");
    expect(install.code).toBe(1);
    expect(JSON.parse(install.stdout)).toMatchObject({ code: "APPROVAL_REQUIRED" });
    for (const args of [
      ["audit", "query"],
      ["installed"],
      ["whitelist", "list", "--maturity", "autonomous"],
      ["approvals", "list"],
    ]) {
      const human = await pg(state, ...args);
      expect(human.code, args.join(" ")).toBe(0);
      expect(widest(human.stdout), `${args.join(" ")}:\n${human.stdout}`).toBeLessThanOrEqual(100);
      expect(() => JSON.parse(human.stdout)).toThrow(SyntaxError);
      const json = await pg(state, ...args, "--json");
      expect(Array.isArray(JSON.parse(json.stdout)), args.join(" ")).toBe(true);
    }
    expect((await pg(state, "approvals", "list")).stdout).toContain("torch>=2.0.0");
  });

  it("a usage error under --json prints JSON, exit 2", async () => {
    const state = await stateWith("usage", healthy());
    const r = await pg(state, "install", "pyyaml", "--json");
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: "CONFIG_INVALID", message: expect.stringContaining("--skill") });
    const unknown = await pg(state, "frobnicate", "--json");
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ code: "CONFIG_INVALID" });
  });
});

// The system Node this machine ships (20.x), if there is one older than the bin needs.
const oldNode = ["/usr/bin/node", "/usr/local/bin/node"].find((p) => existsSync(p));

describe("the bin and the set-up script as a person meets them (issue 14.7, 14.8)", () => {
  it(`under an old Node (${oldNode ?? "none found"}) the bin names the Node it needs in one line, exit 2`, async () => {
    if (oldNode === undefined) throw new Error("no /usr/bin/node or /usr/local/bin/node to test the bin under");
    const version = (await exec(oldNode, ["-p", "process.versions.node"])).stdout.trim();
    const [major = 0, minor = 0] = version.split(".").map(Number);
    if (major > 24 || (major === 24 && minor >= 16)) {
      throw new Error(`${oldNode} is Node ${version}: this test needs one older than 24.16`);
    }
    const r = await exec(oldNode, [BIN, "doctor"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`package-guard needs Node >= 24.16, this is v${version}`);
    expect(lines[0]).not.toContain("TEXT_ENCODINGS");
  });

  it("sourced in a fresh shell, provision.sh keeps its options; node, openclaw, package-guard on PATH", async () => {
    const script =
      `source ${JSON.stringify(join(REPO_ROOT, "scripts", "provision.sh"))} >/dev/null 2>&1; echo "rc=$?"; ` +
      `echo "opts=$-"; shopt -qo pipefail && echo pipefail-on; ` +
      `command -v node openclaw package-guard; package-guard --help >/dev/null && echo bin-ok; false; echo still-here`;
    const r = await exec("bash", ["--norc", "--noprofile", "-c", script], { PATH: process.env.PATH ?? "", HOME: dir });
    expect(r.stdout).toContain("rc=0");
    expect(r.stdout).not.toMatch(/^opts=.*[eu]/m);
    expect(r.stdout).not.toContain("pipefail-on");
    expect(r.stdout).toContain(join(REPO_ROOT, "node_modules", ".bin", "openclaw"));
    expect(r.stdout).toContain(join(REPO_ROOT, ".tools", "bin", "package-guard"));
    expect(r.stdout).toContain("bin-ok");
    expect(r.stdout).toContain("still-here");
  });
});
