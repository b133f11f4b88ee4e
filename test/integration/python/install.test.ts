import { access, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { skillPaths } from "../../../src/python/layout.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { buildWheel } from "../../helpers/wheels.js";
import { harness, importFrom, install, uninstall, versions, type Harness } from "./setup.js";

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe("uv: per-skill venvs against a loopback index", () => {
  let index: PackageIndex;
  let h: Harness;
  beforeAll(async () => {
    index = await startPackageIndex({ packages: DEMO_PACKAGES });
  });
  afterAll(async () => index.close());
  afterEach(async () => {
    index.failPaths.clear();
    await h?.cleanup();
  });

  it("installs datakit with its dependency into skill 'a', importable from the skill's python", async () => {
    h = await harness(index.url);
    const pins = await install(h.env, "a", "datakit");
    expect(versions(pins)).toEqual({ datakit: "1.0.0", tinycalc: "1.1.0" });
    expect(pins.every((p) => p.hashes.length > 0 && p.hashes.every((x) => /^sha256:[0-9a-f]{64}$/.test(x)))).toBe(true);
    const venv = skillPaths(h.config, "a");
    expect(importFrom(venv.python, "datakit", "tinycalc")).toBe("1.0.0 1.1.0");
    expect(await h.env.installed("a")).toEqual([
      expect.objectContaining({ package: "datakit", version: "1.0.0", skill: "a", direct: true }),
      expect.objectContaining({ package: "tinycalc", version: "1.1.0", skill: "a", direct: false }),
    ]);
    const state = JSON.parse(await readFile(venv.state, "utf8"));
    expect(state).toMatchObject({
      skill: "a",
      installer: "uv",
      python: { path: venv.python, version: expect.stringMatching(/^3\./) },
    });
    expect(index.requests).toContain("/simple/datakit/");
  });

  it("keeps skills isolated from each other", async () => {
    h = await harness(index.url);
    await install(h.env, "a", "datakit");
    const b = await install(h.env, "b", "tinycalc", "==2.0.0");
    expect(versions(b)).toEqual({ tinycalc: "2.0.0" });
    expect(importFrom(skillPaths(h.config, "a").python, "tinycalc")).toBe("1.1.0");
    expect(importFrom(skillPaths(h.config, "b").python, "tinycalc")).toBe("2.0.0");
    expect(() => importFrom(skillPaths(h.config, "b").python, "datakit")).toThrow(/No module named 'datakit'/);
    expect((await h.env.installed()).map((p) => `${p.skill}:${p.package}`)).toEqual([
      "a:datakit",
      "a:tinycalc",
      "b:tinycalc",
    ]);
  });

  it("uninstall removes the package and its orphaned dependency, keeping the rest", async () => {
    h = await harness(index.url);
    await install(h.env, "a", "datakit");
    await install(h.env, "a", "pyyaml", "==6.0.2");
    const after = await uninstall(h.env, "a", "datakit");
    expect(versions(after)).toEqual({ pyyaml: "6.0.2" });
    const site = (await import("node:fs/promises")).readdir;
    const venv = skillPaths(h.config, "a");
    const libs = await site(join(venv.venv, "lib"));
    const entries = await site(join(venv.venv, "lib", libs[0]!, "site-packages"));
    expect(entries.some((e) => e.startsWith("datakit") || e.startsWith("tinycalc"))).toBe(false);
    expect(importFrom(venv.python, "yaml")).toBe("6.0.2");
    expect(versions(await uninstall(h.env, "a", "pyyaml"))).toEqual({});
    expect(await h.env.installed("a")).toEqual([]);
  });

  it("a venv deleted by hand is rebuilt with its recorded packages on the next use of the skill", async () => {
    h = await harness(index.url);
    await install(h.env, "a", "datakit");
    const paths = skillPaths(h.config, "a");
    await (await import("node:fs/promises")).rm(paths.venv, { recursive: true });
    await h.env.withSkill("a", async () => undefined);
    expect(importFrom(paths.python, "datakit", "tinycalc")).toBe("1.0.0 1.1.0");
  });

  it("an unsatisfiable request fails clearly and leaves the previous set alone", async () => {
    h = await harness(index.url);
    await install(h.env, "a", "datakit");
    const error = await install(h.env, "a", "tinycalc", "==9.0").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INSTALL_FAILED" });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^No version of tinycalc satisfies '==9.0' on ${index.url.replace(/[.]/g, "\\.")}: Because there is no ` +
          `version of tinycalc==9.0`,
      ),
    );
    const missing = await install(h.env, "a", "nonexistent-thing").catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(
      /^No version of nonexistent-thing satisfies any version on .*not found in the package registry/,
    );
    expect(versions((await h.env.withSkill("a", (v) => v.state())).pins)).toEqual({
      datakit: "1.0.0",
      tinycalc: "1.1.0",
    });
    expect(importFrom(skillPaths(h.config, "a").python, "datakit")).toBe("1.0.0");
  });

  it("a hash mismatch during install rolls back to the previous set", async () => {
    h = await harness(index.url);
    await install(h.env, "a", "datakit");
    const paths = skillPaths(h.config, "a");
    const error = await h.env
      .withSkill("a", async (venv) => {
        const wanted = {
          ...(await venv.state()).requirements,
          pyyaml: { specifier: "==6.0.2", extras: [], requestedAt: "t" },
        };
        const pins = (await venv.resolve(wanted)).map((p) =>
          p.name === "pyyaml" ? Object.assign(p, { hashes: [`sha256:${"0".repeat(64)}`] }) : p,
        );
        return venv.apply(pins, wanted, { operation: "install", package: "pyyaml" });
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INSTALL_FAILED", details: { rolledBack: true } });
    expect((error as Error).message).toMatch(/Hash mismatch.*; the previous package set was restored$/s);
    expect(await exists(paths.pending)).toBe(false);
    expect(() => importFrom(paths.python, "yaml")).toThrow(/No module named 'yaml'/);
    expect(importFrom(paths.python, "datakit", "tinycalc")).toBe("1.0.0 1.1.0");
    expect(versions((await h.env.withSkill("a", (v) => v.state())).pins)).toEqual({
      datakit: "1.0.0",
      tinycalc: "1.1.0",
    });
  });

  it("an index failure mid-install (a wheel that cannot be fetched) rolls back, changed dependency too", async () => {
    // 404 rather than 500: uv retries a 500 with backoff for ~10 s before giving up; the rollback is the same.
    const failing = await startPackageIndex({ packages: DEMO_PACKAGES, failStatus: 404 });
    try {
      h = await harness(failing.url);
      await install(h.env, "a", "datakit");
      await install(h.env, "a", "tinycalc", "==1.0.0");
      const paths = skillPaths(h.config, "a");
      const error = await h.env
        .withSkill("a", async (venv) => {
          const requirements = (await venv.state()).requirements;
          const wanted = {
            ...requirements,
            tinycalc: { specifier: "==1.1.0", extras: [], requestedAt: "t" },
            pyyaml: { specifier: "==5.3", extras: [], requestedAt: "t" },
          };
          const pins = await venv.resolve(wanted);
          failing.failPaths.add(failing.fileUrlPath({ name: "pyyaml", version: "5.3" }));
          return venv.apply(pins, wanted, { operation: "install", package: "pyyaml" });
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "INSTALL_FAILED", details: { rolledBack: true } });
      expect(failing.requests).toContain(failing.fileUrlPath({ name: "pyyaml", version: "5.3" }));
      expect(importFrom(paths.python, "tinycalc")).toBe("1.0.0");
      expect(() => importFrom(paths.python, "yaml")).toThrow(/No module named/);
    } finally {
      await failing.close();
    }
  });

  it("ignores PIP_*/UV_* variables and uv/pip config files: the configured index is the only source", async () => {
    const hostile = join(await import("node:os").then((os) => os.tmpdir()), `pg-hostile-${process.pid}`);
    await buildWheel(hostile, { name: "datakit", version: "9.9.9" });
    const saved = { ...process.env };
    Object.assign(process.env, {
      PIP_FIND_LINKS: hostile,
      PIP_INDEX_URL: "http://127.0.0.1:9/dead",
      PIP_EXTRA_INDEX_URL: "http://127.0.0.1:9/dead",
      UV_INDEX_URL: "http://127.0.0.1:9/dead",
      UV_DEFAULT_INDEX: "http://127.0.0.1:9/dead",
      UV_EXTRA_INDEX_URL: "http://127.0.0.1:9/dead",
      UV_FIND_LINKS: hostile,
      UV_EXCLUDE_NEWER: "2000-01-01T00:00:00Z",
      UV_OFFLINE: "1",
      UV_CONFIG_FILE: join(hostile, "uv.toml"),
      VIRTUAL_ENV: hostile,
    });
    try {
      h = await harness(index.url);
      // uv discovers uv.toml / pyproject.toml upwards from its cwd; the scratch folders live under stateDir.
      const uvToml =
        `index-url = "http://127.0.0.1:9/dead"\nfind-links = ["${hostile}"]\n[pip]\nindex-url = ` +
        `"http://127.0.0.1:9/dead"\n`;
      await writeFile(join(h.stateDir, "uv.toml"), uvToml);
      await writeFile(join(hostile, "uv.toml"), uvToml);
      await writeFile(join(h.stateDir, "pyproject.toml"), `[tool.uv]\nindex-url = "http://127.0.0.1:9/dead"\n`);
      await mkdir(join(h.stateDir, "package-guard"), { recursive: true });
      await writeFile(join(h.stateDir, "package-guard", "pip.conf"), `[global]\nindex-url = http://127.0.0.1:9/dead\n`);
      const pins = await install(h.env, "a", "datakit");
      expect(versions(pins)).toEqual({ datakit: "1.0.0", tinycalc: "1.1.0" });
      expect(importFrom(skillPaths(h.config, "a").python, "datakit")).toBe("1.0.0");
    } finally {
      process.env = saved;
      await rm(hostile, { recursive: true, force: true });
    }
  });
});
