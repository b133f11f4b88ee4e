import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { access, chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type PackageGuardConfig } from "../../../src/config.js";
import { isPackageGuardError } from "../../../src/errors.js";
import { skillPaths } from "../../../src/python/layout.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";
import { childEnv } from "../../../src/util/env.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { TOOLS } from "../../helpers/tool-paths.js";
import { until } from "../../helpers/until.js";

/*
 * Fault injection with real uv, venvs and a loopback index. Every scenario ends with the venv, the skill's state
 * and the audit log in agreement, and `audit verify` ok:
 * - uv SIGKILLed at aimed moments of its sync (after downloading, between removing and adding, after adding);
 * - a flaky index (503s) during an uninstall;
 * - the CLI itself SIGKILLed while its installer runs.
 */
const run = promisify(execFile);
const ADVISORIES = join(REPO_ROOT, "test", "fixtures", "pypa-advisories");
let dir: string;
let index: PackageIndex;

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/** What a venv really holds, asked of uv itself (not of our state files). */
const actualSet = async (venvPython: string): Promise<string[]> => {
  const { stdout } = await run(TOOLS.uv, ["pip", "list", "--format", "json", "--python", venvPython, "--no-config"], {
    env: childEnv(),
  });
  return (JSON.parse(stdout) as { name: string; version: string }[])
    .map((p) => `${p.name.toLowerCase()}==${p.version}`)
    .toSorted();
};

/** What the skill's state says the venv holds. */
const recordedSet = async (stateFile: string): Promise<string[]> => {
  const state = JSON.parse(await readFile(stateFile, "utf8")) as { pins: { name: string; version: string }[] };
  return state.pins.map((p) => `${p.name}==${p.version}`).toSorted();
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-faults-"));
  index = await startPackageIndex({
    dir: join(dir, "wheels"),
    failStatus: 503,
    packages: [
      ...DEMO_PACKAGES,
      { name: "wrapper", version: "1.0.0", requires: ["helperlib>=1"] },
      { name: "helperlib", version: "1.0.0" },
      { name: "helperlib", version: "2.0.0" },
    ],
  });
});
afterAll(async () => {
  await index?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("uv killed at aimed moments of its sync", () => {
  const STAGES = ["Prepared", "Uninstalled", "Installed"] as const;
  const ATTEMPTS = 24;
  let service: Services;
  let config: PackageGuardConfig;
  let armed: string;
  let landed: string;

  beforeAll(async () => {
    armed = join(dir, "armed");
    landed = join(dir, "landed");
    const wrapper = join(dir, "uv-killer");
    // Paths are baked in: children get a scrubbed environment. Armed with a stage name, the next `pip sync` is
    // SIGKILLed the moment uv reports that stage on stderr (one kill per arming, so the rollback's sync runs).
    await writeFile(
      wrapper,
      `#!/bin/bash
if [ "$1" = "pip" ] && [ "$2" = "sync" ] && [ -e "${armed}" ]; then
  stage="$(cat "${armed}")"
  rm -f "${armed}"
  coproc UV { exec "${TOOLS.uv}" "$@" 2>&1 1>/dev/null; }
  pid=$UV_PID
  while IFS= read -r line <&"\${UV[0]}"; do
    case "$line" in
      "$stage"*) kill -9 "$pid" 2>/dev/null && echo "$stage" >> "${landed}"; break ;;
    esac
  done
  wait "$pid"
  exit $?
fi
exec "${TOOLS.uv}" "$@"
`,
    );
    await chmod(wrapper, 0o755);
    config = parseConfig(
      {
        agents: { ops: "intern" },
        whitelist: { tiers: { intern: [{ package: "pyyaml", version: ">=6,<7" }] } },
        python: { uv: wrapper, python: TOOLS.python, installer: "uv" },
        index: { url: index.url },
        scan: { scanner: "osv-db", osvDbDir: ADVISORIES },
      },
      join(dir, "state-kills"),
    );
    service = await openServices(config);
  });

  it(`${ATTEMPTS} attempts: the venv is the old set or the new, its state agrees, each attempt logged`, async () => {
    const caller = { source: "cli" as const, agentId: "ops" };
    const cycle = ["pandas", "requests", "beautifulsoup4", "pyyaml>=6,<7"];
    const paths = skillPaths(config, "faulty");
    const outcomes = { landed: 0, rolledBack: 0 };
    const before = (await service.operator.installations({ limit: 500 })).length;
    for (let i = 0; i < ATTEMPTS; i++) {
      const requested = cycle[i % cycle.length]!;
      const name = requested.replace(/[<>=].*$/, "");
      const installedNow = (await service.operator.installed("faulty")).some((p) => p.package === name && p.direct);
      const previous = i === 0 ? [] : await actualSet(paths.python);
      await writeFile(armed, STAGES[i % STAGES.length]!);
      let reported: string[] | null = null;
      let failure: unknown = null;
      try {
        if (installedNow) {
          await service.packages.uninstall({ package: name, skill: "faulty" }, caller);
          reported = (await service.operator.installed("faulty")).map((p) => `${p.package}==${p.version}`).toSorted();
        } else {
          const r = await service.packages.install({ package: requested, skill: "faulty" }, caller);
          reported = r.dependencies.map((d) => `${d.name}==${d.version}`).toSorted();
        }
        outcomes.landed++;
      } catch (error) {
        failure = error;
        outcomes.rolledBack++;
      }
      // Every failure is an INSTALL_FAILED that rolled back (null when the attempt landed).
      expect(
        failure === null
          ? null
          : {
              code: isPackageGuardError(failure) && failure.code,
              rolledBack: (failure as { details?: { rolledBack?: boolean } }).details?.rolledBack,
            },
        String(failure),
      ).toEqual(failure === null ? null : { code: "INSTALL_FAILED", rolledBack: true });
      const now = await actualSet(paths.python);
      expect(now, `attempt ${i} (${requested})`).toEqual(reported ?? previous);
      expect(await recordedSet(paths.state), `attempt ${i}: state`).toEqual(now);
      expect(await exists(paths.pending)).toBe(false);
    }
    const all = await service.operator.installations({ limit: 500 });
    const records = all.slice(0, all.length - before).toReversed();
    // Write-ahead: each attempt is a "started" record followed by its outcome, nothing in between.
    const statuses = records.map((r) => r.status);
    expect(statuses.filter((s) => s === "started")).toHaveLength(ATTEMPTS);
    for (let i = 0; i < statuses.length; i += 2) {
      expect(statuses[i]).toBe("started");
      expect(["completed", "uninstalled", "rolled_back"]).toContain(statuses[i + 1]);
    }
    expect(await service.operator.verifyAudit()).toMatchObject({ ok: true });
    // The kills landed while uv ran (at every stage), and both paths were exercised.
    const kills = (await readFile(landed, "utf8").catch(() => "")).split("\n").filter(Boolean);
    expect(new Set(kills)).toEqual(new Set(STAGES));
    expect(outcomes.rolledBack).toBe(kills.length);
    expect(outcomes.landed).toBeGreaterThan(0);
  });
});

describe("a flaky index during an uninstall", () => {
  it("never installs anything new: it fails, changing nothing, then succeeds once the index is back", async () => {
    const config = parseConfig(
      {
        agents: { ops: "intern" },
        whitelist: {
          tiers: {
            intern: [
              { package: "wrapper" },
              { package: "helperlib", version: ">=1,<2" },
              { package: "tinycalc", version: "==1.0.0" },
            ],
          },
        },
        python: { uv: TOOLS.uv, python: TOOLS.python, installer: "uv" },
        index: { url: index.url },
        scan: { scanner: "osv-db", osvDbDir: ADVISORIES },
      },
      join(dir, "state-flaky"),
    );
    const service = await openServices(config);
    const paths = skillPaths(config, "s1");
    const caller = { source: "cli" as const, agentId: "ops" };
    // helperlib 2.0.0 exists, but its whitelist range stops at <2: the install lands on 1.0.0.
    expect((await service.packages.install({ package: "wrapper", skill: "s1" }, caller)).dependencies).toEqual([
      { name: "helperlib", version: "1.0.0" },
      { name: "wrapper", version: "1.0.0" },
    ]);
    await service.packages.install({ package: "tinycalc", skill: "s1" }, caller);
    const before = await actualSet(paths.python);
    expect(before).toEqual(["helperlib==1.0.0", "tinycalc==1.0.0", "wrapper==1.0.0"]);
    // uv asks 4 times (3 retries) per resolve: one resolve fails, and anything asking after it gets an answer.
    index.failNext.set("/simple/helperlib/", 4);
    const error = await service.packages.uninstall({ package: "tinycalc", skill: "s1" }, caller).catch((e) => e);
    expect(error).toMatchObject({ code: "INSTALL_FAILED" });
    expect(await actualSet(paths.python)).toEqual(before);
    expect(await recordedSet(paths.state)).toEqual(before);
    const failed = await service.operator.installations({ limit: 2 });
    expect(failed.map((r) => [r.status, r.package])).toEqual([
      ["failed", "tinycalc"],
      ["started", "tinycalc"],
    ]);
    // The index is healthy again (uv may have given up before using every injected failure: under load a retry
    // can time out instead): the uninstall removes tinycalc and keeps everything else exactly as it was.
    index.failNext.delete("/simple/helperlib/");
    expect((await service.packages.uninstall({ package: "tinycalc", skill: "s1" }, caller)).removed).toEqual([
      "tinycalc",
    ]);
    expect(await actualSet(paths.python)).toEqual(["helperlib==1.0.0", "wrapper==1.0.0"]);
    expect(await recordedSet(paths.state)).toEqual(["helperlib==1.0.0", "wrapper==1.0.0"]);
    expect(await service.operator.verifyAudit()).toMatchObject({ ok: true });
  });
});

describe("the CLI SIGKILLed while its installer runs", () => {
  const BIN = join(REPO_ROOT, "bin", "package-guard.mjs");

  it("the installer dies with it, the next command recovers first, and venv, state and log agree", async () => {
    if (!existsSync(join(REPO_ROOT, "dist", "cli", "main.js")))
      throw new Error("dist/ is missing: run `npm run build` (scripts/test.sh does)");
    const stateDir = join(dir, "state-cli");
    const armed = join(dir, "cli-armed");
    const syncing = join(dir, "cli-syncing");
    const release = join(dir, "cli-release");
    const holder = join(dir, "uv-holder");
    // Armed, the next `pip sync` says it started (with its pid) and waits to be released before it runs uv: an
    // installer that outlives the CLI would sync the venv behind everyone's back once released.
    await writeFile(
      holder,
      `#!/bin/bash
if [ "$1" = "pip" ] && [ "$2" = "sync" ] && [ -e "${armed}" ]; then
  rm -f "${armed}"
  echo $$ > "${syncing}"
  while [ ! -e "${release}" ]; do sleep 0.05; done
fi
exec "${TOOLS.uv}" "$@"
`,
    );
    await chmod(holder, 0o755);
    const block = {
      whitelist: { tiers: { student: [{ package: "tinycalc" }, { package: "pyyaml", version: ">=6,<7" }] } },
      python: { uv: holder, python: TOOLS.python, installer: "uv" },
      index: { url: index.url },
      scan: { scanner: "osv-db", osvDbDir: ADVISORIES },
    };
    await rm(stateDir, { recursive: true, force: true });
    await run("mkdir", ["-p", stateDir]);
    await writeFile(
      join(stateDir, "openclaw.json"),
      JSON.stringify({ plugins: { entries: { "package-guard": { config: block } } } }),
    );
    const cli = (...args: string[]) =>
      run(process.execPath, [BIN, ...args, "--state-dir", stateDir, "--json"], { timeout: 120_000 });
    await cli("install", "tinycalc==1.0.0", "--skill", "s1");
    const paths = skillPaths(parseConfig(block, stateDir), "s1");
    const before = await actualSet(paths.python);
    expect(before).toEqual(["tinycalc==1.0.0"]);

    await writeFile(armed, "1");
    const child = spawn(process.execPath, [BIN, "install", "pyyaml==6.0.2", "--skill", "s1", "--state-dir", stateDir], {
      stdio: "ignore",
    });
    const exited = new Promise((r) => child.on("exit", r));
    await until("the installer to start", () => exists(syncing));
    const installer = Number((await readFile(syncing, "utf8")).trim());
    expect(alive(installer)).toBe(true);
    child.kill("SIGKILL");
    await exited;
    // The installer dies with the CLI (its own process group, reaped when the CLI's pipe closes).
    try {
      await until("the orphaned installer to die", async () => !alive(installer), 15_000);
    } finally {
      await writeFile(release, "1");
    }
    expect(await exists(paths.pending)).toBe(true);

    // Any command recovers interrupted changes first.
    const { stdout } = await cli("installed", "--skill", "s1");
    expect((JSON.parse(stdout) as { package: string }[]).map((p) => p.package)).toEqual(["tinycalc"]);
    expect(await exists(paths.pending)).toBe(false);
    expect(await actualSet(paths.python)).toEqual(before);
    expect(await recordedSet(paths.state)).toEqual(before);
    const log = JSON.parse((await cli("audit", "query", "--limit", "4")).stdout) as {
      status: string;
      package: string;
    }[];
    expect(log.map((r) => [r.status, r.package]).toReversed()).toEqual([
      ["completed", "tinycalc"],
      ["started", "pyyaml"],
      ["started", "pyyaml"],
      ["interrupted", "pyyaml"],
    ]);
    expect(JSON.parse((await cli("audit", "verify")).stdout)).toMatchObject({ ok: true });
  });
});
