import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { NpmComponents } from "../../../src/npm/components.js";
import { npmFailure } from "../../../src/npm/failure.js";
import { DEAD_PROXY, npmArgs, noGit, workDir } from "../../../src/npm/run.js";
import type { RunResult, Runner } from "../../../src/util/exec.js";

const REGISTRY = "https://registry.example/npm/";
const work = workDir("/state/package-guard/components/.work/c-0123456789ab");

const result = (stderr: string, extra: Partial<RunResult> = {}): RunResult => ({
  command: "npm install",
  exitCode: 1,
  stdout: "",
  stderr,
  timedOut: false,
  canceled: false,
  signal: undefined,
  spawnError: undefined,
  ...extra,
});
const fail = (stderr: string, extra: Partial<RunResult> = {}) =>
  npmFailure(result(stderr, extra), { step: "resolve", registry: REGISTRY, gitSentinel: noGit(work) });

describe("npm argv", () => {
  it("lock and ci: no scripts, our own config files, cache and home, one registry, no git, no other host", () => {
    const args = npmArgs("lock", REGISTRY, work);
    expect(args.slice(0, 2)).toEqual(["install", "--package-lock-only"]);
    expect(npmArgs("ci", REGISTRY, work)[0]).toBe("ci");
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(args).toContain("--ignore-scripts");
    expect(flag("--registry")).toBe(REGISTRY);
    expect(flag("--userconfig")).toBe(join(work.root, "user.npmrc"));
    expect(flag("--globalconfig")).toBe(join(work.root, "global.npmrc"));
    expect(flag("--cache")).toBe(join(work.root, "cache"));
    expect(flag("--git")).toBe(join(work.root, "no-git", "git"));
    expect(flag("--proxy")).toBe(DEAD_PROXY);
    expect(flag("--https-proxy")).toBe(DEAD_PROXY);
    expect(flag("--noproxy")).toBe("registry.example");
    expect(args).toContain("--no-bin-links");
    // Every flag is a flag: nothing positional could be read as a package spec.
    expect(args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"))).toEqual(["install"]);
  });
});

describe("npmFailure", () => {
  it("npm reaching for git (our sentinel path) is a git dependency refusal", () => {
    const e = fail(
      `npm error code ENOENT\nnpm error syscall spawn ${noGit(work)}\nnpm error enoent An unknown git error occurred`,
    );
    expect(e).toMatchObject({ code: "INVALID_REQUIREMENT", details: { reason: "vcs" } });
  });

  it("a fetch outside the registry (refused by the dead proxy) names the URL without credentials", () => {
    const e = fail(
      "npm error code ECONNREFUSED\nnpm error FetchError: request to https://u:tok@evil.example/x.tgz?sig=1 failed, " +
        "reason: connect ECONNREFUSED 127.0.0.1:1",
    );
    expect(e).toMatchObject({
      code: "INVALID_REQUIREMENT",
      details: { reason: "url", url: "https://evil.example/x.tgz" },
    });
    expect(e.message).not.toMatch(/tok|sig=1/);
  });

  it("the registry itself unreachable is an install failure, not a refusal", () => {
    const e = fail(`npm error code ECONNREFUSED\nnpm error FetchError: request to ${REGISTRY}leftpad failed`);
    expect(e.code).toBe("INSTALL_FAILED");
  });

  it("EINTEGRITY names the package and says nothing was installed", () => {
    const e = fail(
      "npm warn tarball tarball data for leftpad@https://registry.example/npm/leftpad/-/leftpad-1.0.0.tgz (sha512-x) " +
        "seems to be corrupted. Trying again.\nnpm error code EINTEGRITY\nnpm error sha512-x integrity checksum failed",
    );
    expect(e).toMatchObject({ code: "INSTALL_FAILED", details: { reason: "integrity", package: "leftpad" } });
    expect(e.message).toContain("nothing was installed");
  });

  it("no matching version is unsatisfiable, naming the spec", () => {
    const e = fail("npm error code ETARGET\nnpm error notarget No matching version found for leftpad@^9.0.0.");
    expect(e).toMatchObject({ code: "INSTALL_FAILED", details: { reason: "unsatisfiable", spec: "leftpad@^9.0.0" } });
  });

  it("timeouts, cancels and a missing npm say so", () => {
    expect(fail("", { timedOut: true, exitCode: undefined }).message).toContain("timed out");
    expect(fail("", { canceled: true }).message).toContain("canceled");
    expect(fail("", { spawnError: "ENOENT", exitCode: undefined }).message).toContain("set npm.npm");
  });

  it("anything else keeps npm's own error lines, without its log pointer", () => {
    const e = fail(
      "npm error code ERESOLVE\nnpm error could not resolve\nnpm error A complete log of this run can be found in: /x",
    );
    expect(e).toMatchObject({ code: "INSTALL_FAILED", details: { reason: "resolve", npmCode: "ERESOLVE" } });
    expect(e.message).toContain("could not resolve");
    expect(e.message).not.toContain("complete log");
  });
});

describe("NpmComponents.recoverInterrupted", () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "pg-npm-recover-"));
  });
  afterEach(() => rm(stateDir, { recursive: true, force: true }));

  const noProcess: Runner = async () => {
    throw new Error("recovery runs no process");
  };

  it("puts back a tree a crash left in .trash, drops stale work folders and trash of live components", async () => {
    const config = parseConfig({}, stateDir);
    const root = config.npm.componentsRoot;
    await mkdir(join(root, ".trash", "half-done-0123456789ab"), { recursive: true });
    await writeFile(join(root, ".trash", "half-done-0123456789ab", "package.json"), "{}");
    await mkdir(join(root, "kept"), { recursive: true });
    await mkdir(join(root, ".trash", "kept-abcdefabcdef"), { recursive: true });
    await mkdir(join(root, ".work", "kept-000000000000", "project"), { recursive: true });
    await mkdir(join(root, ".work", "NOT AN ID-000000000000"), { recursive: true });
    const recovered = await new NpmComponents(config, noProcess).recoverInterrupted();
    expect(recovered).toEqual([{ component: "half-done", restored: true }]);
    expect(await readFile(join(root, "half-done", "package.json"), "utf8")).toBe("{}");
    expect(await readdir(join(root, ".trash"))).toEqual([]);
    expect(await readdir(join(root, ".work"))).toEqual(["NOT AN ID-000000000000"]);
  });
});
