import { spawn } from "node:child_process";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PythonEnvironment } from "../../../src/python/environment.js";
import { skillPaths } from "../../../src/python/layout.js";
import { runProcess } from "../../../src/util/exec.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { harnessConfig } from "./crash-config.js";
import { UV, importFrom, install, versions } from "./setup.js";

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("crash recovery with real uv", () => {
  let index: PackageIndex;
  let stateDir: string;
  beforeAll(async () => {
    index = await startPackageIndex({ packages: DEMO_PACKAGES });
  });
  afterAll(async () => index.close());
  afterEach(async () => rm(stateDir, { recursive: true, force: true }));

  it("restores the previous set from a journal left by a crash (venv changed underneath)", async () => {
    stateDir = await mkdtemp(join(tmpdir(), "pg-recover-"));
    const config = harnessConfig(stateDir, index.url, UV);
    const env = new PythonEnvironment(config, runProcess);
    await install(env, "a", "datakit");
    const paths = skillPaths(config, "a");
    const previous = JSON.parse(await readFile(paths.state, "utf8"));
    await writeFile(
      paths.pending,
      JSON.stringify({
        version: 1,
        txId: "crashed",
        operation: "install",
        package: "pyyaml",
        previous: { requirements: previous.requirements, pins: previous.pins },
        startedAt: "t",
      }),
    );
    // What a half-done sync leaves: the new package in, a dependency gone.
    const uvArgs = [
      "--no-config",
      "--python",
      paths.python,
      "--default-index",
      index.url,
      "--cache-dir",
      join(config.python.cacheDir, "uv"),
    ];
    await runProcess(UV, ["pip", "install", "pyyaml==6.0.2", ...uvArgs], { timeoutMs: 60_000 });
    await runProcess(UV, ["pip", "uninstall", "tinycalc", "--no-config", "--python", paths.python], {
      timeoutMs: 60_000,
    });
    expect(importFrom(paths.python, "yaml")).toBe("6.0.2");

    const report = await new PythonEnvironment(config, runProcess).recoverInterrupted();
    expect(report).toEqual([{ skill: "a", package: "pyyaml", operation: "install", txId: "crashed", ok: true }]);
    expect(importFrom(paths.python, "datakit", "tinycalc")).toBe("1.0.0 1.1.0");
    expect(() => importFrom(paths.python, "yaml")).toThrow(/No module named/);
    expect(await exists(paths.pending)).toBe(false);
    expect(versions((await env.withSkill("a", (v) => v.state())).pins)).toEqual({
      datakit: "1.0.0",
      tinycalc: "1.1.0",
    });
  });

  it(
    "after the installing process is killed mid-install, recovery takes the dead holder's lock at once and rolls " +
      "back",
    async () => {
      stateDir = await mkdtemp(join(tmpdir(), "pg-crash-"));
      const slow = await startPackageIndex({ packages: DEMO_PACKAGES, delayMs: 400 });
      try {
        const config = harnessConfig(stateDir, slow.url, UV);
        const env = new PythonEnvironment(config, runProcess);
        await install(env, "a", "datakit");
        const paths = skillPaths(config, "a");
        const child = spawn(
          process.execPath,
          ["--import", "tsx", resolve(import.meta.dirname, "crash-child.ts"), stateDir, slow.url, UV],
          {
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr.on("data", (d: Buffer) => (output += d.toString()));
        const exited = new Promise((r) => child.on("exit", r));
        const deadline = Date.now() + 60_000;
        while (!(await exists(paths.pending))) {
          if (Date.now() > deadline || child.exitCode !== null)
            throw new Error(`the child never started installing: ${output}`);
          await sleep(20);
        }
        await sleep(150);
        process.kill(-child.pid!, "SIGKILL");
        await exited;
        expect(output).not.toContain("finished");
        expect(await exists(`${paths.data}.lock`)).toBe(true);

        // No clock: recovery waits at most lockTimeoutMs (10 s) for the lock, far below its 10-minute staleness, so
        // getting it at all proves the dead holder's lock was taken over.
        const report = await new PythonEnvironment(config, runProcess).recoverInterrupted();
        expect(report).toEqual([
          { skill: "a", package: "pyyaml", operation: "install", txId: expect.any(String), ok: true },
        ]);
        expect(importFrom(paths.python, "datakit", "tinycalc")).toBe("1.0.0 1.1.0");
        expect(() => importFrom(paths.python, "yaml")).toThrow(/No module named/);
        expect(await exists(paths.pending)).toBe(false);
        // The lock is usable again right away.
        expect(await env.withSkill("a", async () => "free")).toBe("free");
      } finally {
        await slow.close();
      }
    },
  );
});
