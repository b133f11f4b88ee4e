import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { skillPaths } from "../../../src/python/layout.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { describeIf } from "../../helpers/skip.js";
import { harness, importFrom, install, pipAvailable, uninstall, versions, type Harness } from "./setup.js";

const describeWithPip = describeIf(
  pipAvailable(),
  "the pip installer tests: python3 has no ensurepip/venv, so its venvs cannot get pip",
);

describeWithPip("pip installer (installer: 'pip')", () => {
  let index: PackageIndex;
  let h: Harness;
  beforeAll(async () => {
    index = await startPackageIndex({ packages: DEMO_PACKAGES });
  });
  afterAll(async () => index.close());
  afterEach(async () => h?.cleanup());

  it("installs, refuses the unsatisfiable, rolls back a bad hash, and uninstalls orphans", async () => {
    const saved = { ...process.env };
    process.env.PIP_INDEX_URL = "http://127.0.0.1:9/dead";
    process.env.PIP_NO_INDEX = "1";
    try {
      h = await harness(index.url, { installer: "pip" });
      const pins = await install(h.env, "a", "datakit");
      expect(versions(pins)).toEqual({ datakit: "1.0.0", tinycalc: "1.1.0" });
      const paths = skillPaths(h.config, "a");
      expect(importFrom(paths.python, "datakit", "tinycalc")).toBe("1.0.0 1.1.0");

      // pip reads <venv>/pip.conf and /etc/pip.conf even with --isolated; PIP_CONFIG_FILE=/dev/null in the child env
      // stops it.
      await writeFile(join(paths.venv, "pip.conf"), "[global]\nindex-url = http://127.0.0.1:9/dead\nno-index = true\n");
      expect(versions(await install(h.env, "a", "pyyaml", "==6.0.2"))).toMatchObject({ pyyaml: "6.0.2" });
      expect(versions(await uninstall(h.env, "a", "pyyaml"))).toEqual({ datakit: "1.0.0", tinycalc: "1.1.0" });

      const unsat = await install(h.env, "a", "tinycalc", "==9.0").catch((e: unknown) => e);
      expect((unsat as Error).message).toMatch(
        /^No version of tinycalc satisfies '==9.0' on http:\/\/127\.0\.0\.1:\d+\/simple/,
      );

      const bad = await h.env
        .withSkill("a", async (venv) => {
          const wanted = {
            ...(await venv.state()).requirements,
            pyyaml: { specifier: "==6.0.2", extras: [], requestedAt: "t" },
          };
          const resolved = (await venv.resolve(wanted)).map((p) =>
            p.name === "pyyaml" ? Object.assign(p, { hashes: [`sha256:${"0".repeat(64)}`] }) : p,
          );
          return venv.apply(resolved, wanted, { operation: "install", package: "pyyaml" });
        })
        .catch((e: unknown) => e);
      expect(bad).toMatchObject({ code: "INSTALL_FAILED", details: { rolledBack: true } });
      expect(() => importFrom(paths.python, "yaml")).toThrow(/No module named/);

      expect(versions(await uninstall(h.env, "a", "datakit"))).toEqual({});
      const libs = await readdir(join(paths.venv, "lib"));
      const site = await readdir(join(paths.venv, "lib", libs[0]!, "site-packages"));
      expect(site.filter((e) => /^(datakit|tinycalc)/.test(e))).toEqual([]);
      expect(site.some((e) => e.startsWith("pip"))).toBe(true);
      expect(JSON.parse(await readFile(paths.state, "utf8")).installer).toBe("pip");
    } finally {
      process.env = saved;
    }
  });

  it("installer 'auto' without uv falls back to python -m venv + pip, and says so in the venv's state", async () => {
    h = await harness(index.url, { installer: "auto", uv: "/nonexistent/uv" });
    expect(versions(await install(h.env, "b", "tinycalc", "==1.0.0"))).toEqual({ tinycalc: "1.0.0" });
    const paths = skillPaths(h.config, "b");
    expect(importFrom(paths.python, "tinycalc")).toBe("1.0.0");
    expect(JSON.parse(await readFile(paths.state, "utf8")).installer).toBe("pip");
  });
});
