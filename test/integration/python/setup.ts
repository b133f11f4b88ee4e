import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseConfig, type PackageGuardConfig } from "../../../src/config.js";
import { PythonEnvironment, type Pin, type Wanted } from "../../../src/python/environment.js";
import { runProcess, type Runner } from "../../../src/util/exec.js";

const REPO = resolve(import.meta.dirname, "../../..");

/** uv for the tests: $PACKAGE_GUARD_TEST_UV, the repo's provisioned copy, or whatever is on PATH. */
export const UV =
  process.env.PACKAGE_GUARD_TEST_UV ??
  (existsSync(join(REPO, ".tools/py/bin/uv")) ? join(REPO, ".tools/py/bin/uv") : "uv");

export type Harness = {
  stateDir: string;
  config: PackageGuardConfig;
  env: PythonEnvironment;
  cleanup(): Promise<void>;
};

export const harness = async (
  indexUrl: string,
  python: Record<string, unknown> = {},
  runner: Runner = runProcess,
  index: Record<string, unknown> = {},
): Promise<Harness> => {
  const stateDir = await mkdtemp(join(tmpdir(), "pg-python-"));
  const config = parseConfig(
    { python: { uv: UV, python: "python3", installTimeoutMs: 120_000, ...python }, index: { url: indexUrl, ...index } },
    stateDir,
  );
  return {
    stateDir,
    config,
    env: new PythonEnvironment(config, runner),
    cleanup: () => rm(stateDir, { recursive: true, force: true }),
  };
};

const AT = "2026-01-01T00:00:00.000Z";

/** What the service does for an install: add to the wanted set, resolve it all, apply. */
export const install = (env: PythonEnvironment, skill: string, name: string, specifier = ""): Promise<Pin[]> =>
  env.withSkill(skill, async (venv) => {
    const previous = await venv.state();
    const wanted: Wanted = { ...previous.requirements, [name]: { specifier, extras: [], requestedAt: AT } };
    return venv.apply(await venv.resolve(wanted), wanted, { operation: "install", package: name });
  });

/** What the service does for an uninstall: drop from the wanted set, resolve holding the rest exactly, apply. */
export const uninstall = (env: PythonEnvironment, skill: string, name: string): Promise<Pin[]> =>
  env.withSkill(skill, async (venv) => {
    const previous = await venv.state();
    const wanted = { ...previous.requirements };
    delete wanted[name];
    const pins = Object.keys(wanted).length === 0 ? [] : await venv.resolve(wanted, undefined, { pins: previous.pins });
    return venv.apply(pins, wanted, { operation: "uninstall", package: name });
  });

export const versions = (pins: Pin[]): Record<string, string> =>
  Object.fromEntries(pins.map((p) => [p.name, p.version]));

/** Imports modules with the venv's own interpreter and returns their __version__s. */
export const importFrom = (venvPython: string, ...modules: string[]): string =>
  execFileSync(
    venvPython,
    ["-c", `import ${modules.join(", ")}; print(${modules.map((m) => `${m}.__version__`).join(", ")})`],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "" },
    },
  ).trim();

/** pip is usable for venvs made from the system python3 (ensurepip present)? */
export const pipAvailable = (): boolean => {
  try {
    execFileSync("python3", ["-c", "import ensurepip, venv"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
