import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXEC_ENV } from "../../../src/service/exec-env.js";
import { startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { TOOLS } from "../../helpers/tool-paths.js";

/**
 * Each variable resolve_exec_env adds, against the real installer, with a loopback index that WOULD serve the
 * package: without the variable the install succeeds (the control), with it the install fails and the index sees
 * no request for the package. Nothing here reaches the internet. (npm_config_* would close npm the same way, but
 * OpenClaw drops those from a plugin's exec environment: see src/service/exec-env.ts.)
 */

const run = promisify(execFile);
let work: string;
let index: PackageIndex;
let n = 0;

type Outcome = { ok: boolean; output: string };
const exec = async (cmd: string, args: string[], env: Record<string, string>, cwd = work): Promise<Outcome> => {
  try {
    const r = await run(cmd, args, { env, cwd, timeout: 120_000 });
    return { ok: true, output: `${r.stdout}${r.stderr}` };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}${e.message}` };
  }
};

/** A fresh folder and a base environment with nothing of the machine's own pip or uv configuration. */
const fresh = async (): Promise<{ dir: string; env: Record<string, string> }> => {
  const dir = join(work, `run-${++n}`);
  await mkdir(join(dir, "home"), { recursive: true });
  return {
    dir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: join(dir, "home"),
      XDG_CONFIG_HOME: join(dir, "home", ".config"),
      UV_CACHE_DIR: join(dir, "uv-cache"),
    },
  };
};
const requestsFor = (requests: string[], name: string): string[] => requests.filter((p) => p.includes(name));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pg-exec-env-"));
  index = await startPackageIndex({ packages: [{ name: "six", version: "1.16.0" }] });
});
afterAll(async () => {
  await index?.close();
  await rm(work, { recursive: true, force: true });
});

const pipInstall = (dir: string, env: Record<string, string>) =>
  exec(TOOLS.python, ["-m", "pip", "install", "--index-url", index.url, "--target", join(dir, "t"), "six"], env);

describe("pip (python3 -m pip)", () => {
  it("installs six from the loopback index without our variables (control)", async () => {
    const { dir, env } = await fresh();
    const r = await pipInstall(dir, { ...env, PIP_CONFIG_FILE: "/dev/null" });
    expect(r.output).toContain("Successfully installed six");
    expect(existsSync(join(dir, "t", "six"))).toBe(true);
  });

  it("PIP_NO_INDEX: no index is asked, even one given on the command line", async () => {
    const { dir, env } = await fresh();
    const before = requestsFor(index.requests, "six").length;
    const r = await pipInstall(dir, { ...env, PIP_CONFIG_FILE: "/dev/null", PIP_NO_INDEX: EXEC_ENV.PIP_NO_INDEX! });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/No matching distribution found for six/);
    expect(requestsFor(index.requests, "six").length).toBe(before);
  });

  it("PIP_REQUIRE_VIRTUALENV: nothing is installed outside a virtualenv", async () => {
    const { dir, env } = await fresh();
    const before = requestsFor(index.requests, "six").length;
    const r = await pipInstall(dir, {
      ...env,
      PIP_CONFIG_FILE: "/dev/null",
      PIP_REQUIRE_VIRTUALENV: EXEC_ENV.PIP_REQUIRE_VIRTUALENV!,
    });
    expect(r.ok).toBe(false);
    expect(r.output).toContain("Could not find an activated virtualenv (required)");
    expect(requestsFor(index.requests, "six").length).toBe(before);
  });

  it("PIP_NO_INDEX also overrides an index set in pip.conf", async () => {
    const { dir, env } = await fresh();
    await mkdir(join(dir, "home", ".config", "pip"), { recursive: true });
    await writeFile(join(dir, "home", ".config", "pip", "pip.conf"), `[global]\nindex-url = ${index.url}\n`);
    const args = ["-m", "pip", "install", "--target", join(dir, "t"), "six"];
    const control = await exec(TOOLS.python, args, env);
    expect(control.output).toContain("Successfully installed six");
    const before = requestsFor(index.requests, "six").length;
    const r = await exec(TOOLS.python, args, { ...env, PIP_NO_INDEX: EXEC_ENV.PIP_NO_INDEX! });
    expect(r.ok).toBe(false);
    expect(requestsFor(index.requests, "six").length).toBe(before);
  });
});

const uvInstall = (dir: string, env: Record<string, string>) =>
  exec(TOOLS.uv, ["pip", "install", "--no-config", "--index-url", index.url, "--target", join(dir, "t"), "six"], env);

describe("uv", () => {
  it("installs six from the loopback index without our variables (control)", async () => {
    const { dir, env } = await fresh();
    const r = await uvInstall(dir, env);
    expect(r.ok, r.output).toBe(true);
    expect(existsSync(join(dir, "t", "six"))).toBe(true);
  });

  it("UV_OFFLINE: the index is never asked", async () => {
    const { dir, env } = await fresh();
    const before = requestsFor(index.requests, "six").length;
    const r = await uvInstall(dir, { ...env, UV_OFFLINE: EXEC_ENV.UV_OFFLINE! });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/network was disabled|offline/i);
    expect(requestsFor(index.requests, "six").length).toBe(before);
  });
});

describe("all of them together", () => {
  it("pip and uv both fail to fetch, and the index sees no request", async () => {
    const { dir, env } = await fresh();
    const seen = requestsFor(index.requests, "six").length;
    const all = { ...env, ...EXEC_ENV };
    expect((await pipInstall(dir, all)).ok).toBe(false);
    expect((await uvInstall(dir, all)).ok).toBe(false);
    expect(requestsFor(index.requests, "six").length).toBe(seen);
  });
});
