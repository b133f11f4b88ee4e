import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PythonEnvironment } from "../../../src/python/environment.js";
import { compiled, fakePython, hashOf, type Call } from "./fake-python.js";

const AT = "2026-01-01T00:00:00.000Z";
const wanted = { datakit: { specifier: ">=1,<2", extras: [], requestedAt: AT } };
const pins = [
  { name: "datakit", version: "1.0.0", hashes: [hashOf("a")] },
  { name: "tinycalc", version: "1.1.0", hashes: [hashOf("b")] },
];

const flagValue = (call: Call, flag: string): string | undefined => call.args[call.args.indexOf(flag) + 1];

describe("uv argv and environment (fake runner)", () => {
  const saved = { ...process.env };
  let fake: Awaited<ReturnType<typeof fakePython>>;

  beforeEach(async () => {
    // SECURITY: this machine really has PIP_FIND_LINKS set; these must never reach a child.
    process.env.PIP_FIND_LINKS = "/opt/wheels";
    process.env.PIP_INDEX_URL = "http://127.0.0.1:9/dead";
    process.env.UV_INDEX_URL = "http://127.0.0.1:9/dead";
    process.env.UV_FIND_LINKS = "/opt/wheels";
    process.env.VIRTUAL_ENV = "/somewhere/else";
    fake = await fakePython(
      { compile: () => ({ stdout: compiled(pins.map((p) => ({ ...p, hash: p.hashes[0]! }))) }) },
      { index: { findLinks: ["/srv/wheels"] } },
    );
  });
  afterEach(async () => {
    process.env = { ...saved };
    await fake.cleanup();
  });

  it("creates the venv, resolves and syncs with exactly the configured sources", async () => {
    const env = new PythonEnvironment(fake.config, fake.runner);
    const installed = await env.withSkill("a", async (venv) => {
      const resolved = await venv.resolve(wanted);
      expect(resolved).toEqual(pins);
      return venv.apply(resolved, wanted, { operation: "install", package: "datakit" });
    });
    expect(installed).toEqual(pins);

    const uvCalls = fake.calls.filter((c) => c.file === fake.uv && c.args[0] !== "--version");
    expect(uvCalls.map((c) => c.args.slice(0, 2).join(" "))).toEqual([
      `venv ${fake.config.venvRoot}/a`,
      "pip compile",
      "pip sync",
    ]);
    const [venv, compile, sync] = uvCalls as [Call, Call, Call];

    expect(venv.args).toEqual(
      expect.arrayContaining(["--no-config", "--python", fake.python, "--no-python-downloads"]),
    );
    expect(venv.args).not.toContain("--seed");

    expect(compile.args).toEqual(
      expect.arrayContaining([
        "--no-config",
        "--generate-hashes",
        "--no-header",
        "--index-strategy",
        "first-index",
        "--only-binary",
        ":all:",
      ]),
    );
    // SECURITY: uv runs the interpreter it is given; a skill's venv may hold .pth files, so it is never that one.
    expect(flagValue(compile, "--python")).toBe(fake.python);
    expect(flagValue(compile, "--cache-dir")).toBe(`${fake.config.python.cacheDir}/uv`);
    expect(Object.values(compile.files)).toEqual(["datakit>=1,<2\n"]);

    expect(sync.args).toEqual(
      expect.arrayContaining(["--no-config", "--require-hashes", "--allow-empty-requirements", "--link-mode", "copy"]),
    );
    expect(flagValue(sync, "--python")).toBe(fake.python);
    expect(flagValue(sync, "--prefix")).toBe(`${fake.config.venvRoot}/a`);
    expect(Object.values(sync.files)[0]).toBe(
      `datakit==1.0.0 \\\n    --hash=${hashOf("a")}\ntinycalc==1.1.0 \\\n    --hash=${hashOf("b")}\n`,
    );

    for (const call of [compile, sync]) {
      expect(call.args.filter((a) => a === "--default-index")).toHaveLength(1);
      expect(flagValue(call, "--default-index")).toBe("https://index.invalid/simple");
      expect(call.args.filter((a) => a === "--find-links").length).toBe(1);
      expect(flagValue(call, "--find-links")).toBe("/srv/wheels");
      expect(call.args).not.toContain("--index-url");
      expect(call.args).not.toContain("--extra-index-url");
    }
    for (const call of fake.calls) {
      // Nothing in a skill's venv is ever executed, nor handed to a tool as the interpreter to run.
      expect(call.file.startsWith(fake.config.venvRoot)).toBe(false);
      expect(flagValue(call, "--python") ?? "").not.toContain(fake.config.venvRoot);
      expect(call.args.join(" ")).not.toContain("/opt/wheels");
      expect(call.args.join(" ")).not.toContain("127.0.0.1:9");
      expect(Object.keys(call.env).filter((k) => /^(UV_|PIP_(?!CONFIG_FILE)|VIRTUAL_ENV|PYTHONPATH)/.test(k))).toEqual(
        [],
      );
      expect(call.env.PIP_CONFIG_FILE).toBe("/dev/null");
      // Scratch files live in the skill's data folder, never in the cwd of the gateway (uv config discovery).
      const cwd = call.cwd ?? fake.config.venvRoot;
      expect(cwd.startsWith(fake.config.dataDir) || cwd === fake.config.venvRoot).toBe(true);
    }
  });

  it("gives uv the interpreter binary, not the launcher it was configured as (a pyenv shim)", async () => {
    const launched = await fakePython({ sysExecutable: "/opt/python/3.11.7/bin/python3.11" });
    try {
      const env = new PythonEnvironment(launched.config, launched.runner);
      await env.withSkill("a", async (venv) =>
        venv.apply(await venv.resolve(wanted), wanted, { operation: "install", package: "datakit" }),
      );
      const uvCalls = launched.calls.filter((c) => c.file === launched.uv && c.args[0] !== "--version");
      expect(uvCalls).toHaveLength(3);
      for (const call of uvCalls) {
        expect(call.args[call.args.indexOf("--python") + 1]).toBe("/opt/python/3.11.7/bin/python3.11");
      }
      // The configured command is only asked its version and where its binary is.
      expect(launched.calls.filter((c) => c.file === launched.python).map((c) => c.args[0])).toEqual([
        "--version",
        "-I",
      ]);
    } finally {
      await launched.cleanup();
    }
  });

  it("passes --exclude-newer and held pins; a resolve that cannot keep them fails, never retried without", async () => {
    await fake.cleanup();
    let attempts = 0;
    fake = await fakePython(
      {
        compile: (_req, constraints) => {
          attempts++;
          return constraints
            ? { stdout: "", stderr: "error: No solution found\n  cause: Because …\n", exitCode: 1 }
            : { stdout: compiled([{ name: "datakit", version: "1.0.0" }]) };
        },
      },
      {
        index: {
          excludeNewer: "2026-01-01T00:00:00Z",
          excludeNewerPackages: { Tiny_Calc: false, pyyaml: "1 day" },
          onlyBinary: false,
        },
      },
    );
    const env = new PythonEnvironment(fake.config, fake.runner);
    // The 1-day cutoff is taken from the clock during the call: it lies one day before some instant in this window.
    const before = new Date().getTime();
    const result = await env
      .withSkill("a", (venv) =>
        venv.resolve(wanted, undefined, { pins: [{ name: "tinycalc", version: "1.1.0", hashes: [] }] }),
      )
      .catch((e: unknown) => e);
    const after = new Date().getTime();
    expect(result).toMatchObject({ code: "INSTALL_FAILED" });
    expect(attempts).toBe(1);
    const compile = fake.calls.find((c) => c.args[1] === "compile")!;
    // One absolute cutoff per package, the same instants the release check applies afterwards.
    expect(flagValue(compile, "--exclude-newer")).toBe("2026-01-01T00:00:00.000Z");
    const perPackage = compile.args.flatMap((a, i, all) => (a === "--exclude-newer-package" ? [all[i + 1]] : []));
    expect(perPackage[0]).toMatch(/^pyyaml=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const pyyamlCutoff = Date.parse(perPackage[0]!.slice("pyyaml=".length));
    expect(pyyamlCutoff).toBeGreaterThanOrEqual(before - 86_400_000);
    expect(pyyamlCutoff).toBeLessThanOrEqual(after - 86_400_000);
    expect(perPackage.slice(1)).toEqual(["tiny-calc=false"]);
    expect(Object.values(compile.files)).toContain("tinycalc==1.1.0\n");
    expect(compile.args).not.toContain("--only-binary");
  });

  it("uninstalling everything syncs an empty file with --allow-empty-requirements", async () => {
    const env = new PythonEnvironment(fake.config, fake.runner);
    await env.withSkill("a", (venv) => venv.apply(pins, wanted, { operation: "install", package: "datakit" }));
    expect(
      await env.withSkill("a", (venv) => venv.apply([], {}, { operation: "uninstall", package: "datakit" })),
    ).toEqual([]);
    const sync = fake.calls.findLast((c) => c.args[1] === "sync")!;
    expect(Object.values(sync.files)).toEqual([""]);
    expect(sync.args).toContain("--allow-empty-requirements");
    expect(await env.installed()).toEqual([]);
  });

  it("records state and lists installed packages with direct/installedAt", async () => {
    const env = new PythonEnvironment(fake.config, fake.runner);
    await env.withSkill("a", (venv) => venv.apply(pins, wanted, { operation: "install", package: "datakit" }));
    const list = await env.installed();
    expect(list).toEqual([
      { package: "datakit", version: "1.0.0", skill: "a", direct: true, installedAt: AT, vulnerabilitiesFound: 0 },
      {
        package: "tinycalc",
        version: "1.1.0",
        skill: "a",
        direct: false,
        installedAt: expect.any(String),
        vulnerabilitiesFound: 0,
      },
    ]);
    expect(await env.installed("b")).toEqual([]);
    expect(await env.withSkill("a", (venv) => venv.state())).toEqual({ requirements: wanted, pins });
  });

  it("fails closed when uv is required but missing", async () => {
    const missingUv = {
      ...fake.config,
      python: { ...fake.config.python, installer: "uv" as const, uv: "/nonexistent/uv" },
    };
    await expect(new PythonEnvironment(missingUv, fake.runner).withSkill("a", async () => 1)).rejects.toMatchObject({
      code: "INSTALL_FAILED",
      message: expect.stringContaining("uv was not found ('/nonexistent/uv')"),
    });
    const tools = await new PythonEnvironment(missingUv, fake.runner).tools();
    expect(tools.uv).toBeNull();
    expect(tools.python).toEqual({ path: fake.python, version: "3.11.7" });
  });
});

describe("pip argv (fake runner)", () => {
  const report = (list: { name: string; version: string; hash: string }[]) =>
    JSON.stringify({
      install: list.map((p) => ({
        metadata: { name: p.name, version: p.version },
        download_info: { url: `https://x/${p.name}.whl`, archive_info: { hashes: { sha256: p.hash.slice(7) } } },
      })),
    });

  it("runs pip from its tool venv into a fresh venv: --isolated, one index, --require-hashes --no-deps", async () => {
    process.env.PIP_FIND_LINKS = "/opt/wheels";
    const fake = await fakePython(
      { pipReport: () => report(pins.map((p) => ({ ...p, hash: p.hashes[0]! }))) },
      { python: { installer: "pip" } },
    );
    try {
      const env = new PythonEnvironment(fake.config, fake.runner);
      const installed = await env.withSkill("a", async (venv) =>
        venv.apply(await venv.resolve(wanted), wanted, { operation: "install", package: "datakit" }),
      );
      expect(installed).toEqual(pins);
      await env.withSkill("a", (venv) => venv.apply([pins[1]!], {}, { operation: "uninstall", package: "datakit" }));

      const tool = `${fake.config.dataDir}/pip-tool/bin/python`;
      const pipCalls = fake.calls.filter((c) => c.args[1] === "pip" && !c.args.includes("--version"));
      // Resolve, install, install: pip cannot uninstall from a prefix, so every change starts from a fresh venv.
      expect(pipCalls.map((c) => [c.file, c.args.find((a) => a === "install" || a === "uninstall")])).toEqual([
        [tool, "install"],
        [tool, "install"],
        [tool, "install"],
      ]);
      const [dryRun, install] = pipCalls as [Call, Call, Call];
      for (const call of pipCalls) {
        expect(call.args.slice(0, 5)).toEqual(["-m", "pip", "--isolated", "--disable-pip-version-check", "--no-input"]);
        expect(call.env.PIP_CONFIG_FILE).toBe("/dev/null");
        expect(call.env.PIP_FIND_LINKS).toBeUndefined();
        expect(call.args.join(" ")).not.toContain("/opt/wheels");
      }
      expect(dryRun.args).toEqual(
        expect.arrayContaining([
          "--dry-run",
          "--ignore-installed",
          "--report",
          "-",
          "--index-url",
          "https://index.invalid/simple",
          "--only-binary",
          ":all:",
        ]),
      );
      expect(install.args).toEqual(
        expect.arrayContaining(["--require-hashes", "--no-deps", "--index-url", "https://index.invalid/simple"]),
      );
      expect(flagValue(install, "--prefix")).toBe(`${fake.config.venvRoot}/a`);
      // Skill venvs are made without pip, by the base interpreter; nothing in them is ever run.
      const venvs = fake.calls.filter((c) => c.args[0] === "-m" && c.args[1] === "venv");
      expect(
        venvs
          .filter((c) => c.args.at(-1) === `${fake.config.venvRoot}/a`)
          .every((c) => c.args.includes("--without-pip")),
      ).toBe(true);
      expect(fake.calls.some((c) => c.file.startsWith(fake.config.venvRoot))).toBe(false);
      expect((await env.installed()).map((p) => p.package)).toEqual(["tinycalc"]);
    } finally {
      await fake.cleanup();
    }
  });

  it("resolves with pip under a cooldown (no pip flag: the release check enforces it)", async () => {
    const fake = await fakePython(
      { pipReport: () => report(pins.map((p) => ({ name: p.name, version: p.version, hash: p.hashes[0]! }))) },
      { python: { installer: "pip" }, index: { excludeNewer: "7 days" } },
    );
    try {
      const resolved = await new PythonEnvironment(fake.config, fake.runner).withSkill("a", (venv) =>
        venv.resolve(wanted),
      );
      expect(resolved.map((p) => p.name)).toEqual(["datakit", "tinycalc"]);
      const dryRun = fake.calls.find((c) => c.args.includes("--dry-run"))!;
      expect(dryRun.args.some((a) => a.includes("exclude-newer"))).toBe(false);
    } finally {
      await fake.cleanup();
    }
  });
});
