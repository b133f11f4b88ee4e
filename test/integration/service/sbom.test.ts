import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Spec, Validation } from "@cyclonedx/cyclonedx-library";
import { parse } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { TOOLS, toolConfig } from "../../helpers/tool-paths.js";

/*
 * The SBOM of a skill installed for real (uv, loopback index, offline advisories): CycloneDX 1.6 checked against
 * its JSON schema, the PEP 751 export parsed back and installed by uv into a fresh venv, and both through the CLI.
 * pyyaml 5.3 has PYSEC-2020-96 and PYSEC-2021-142 in the PyPA fixture; an operator override lets it into this skill.
 */
const run = promisify(execFile);
const BIN = join(REPO_ROOT, "bin", "package-guard.mjs");
let index: PackageIndex;
let root: string;
let stateDir: string;
let service: Services;
let overrideId: string;

const pluginConfig = () => ({
  whitelist: {
    tiers: {
      student: [
        { package: "datakit", version: ">=1,<2" },
        { package: "pyyaml", version: ">=5.1,<7" },
      ],
    },
  },
  python: toolConfig(),
  index: { url: index.url },
  scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
});

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "main.js")))
    throw new Error("dist/ is missing: run `npm run build` (scripts/test.sh does)");
  index = await startPackageIndex({ packages: DEMO_PACKAGES });
  root = await mkdtemp(join(tmpdir(), "pg-sbom-"));
  stateDir = join(root, "state");
  service = await openServices(parseConfig(pluginConfig(), stateDir));
  await writeFile(
    join(root, "openclaw.json"),
    JSON.stringify({ plugins: { entries: { "package-guard": { config: pluginConfig() } } } }),
  );
  const caller = { source: "rpc" as const, client: "op" };
  overrideId = (
    await service.operator.overridesAdd(
      {
        skill: "viz",
        package: "pyyaml",
        version: "5.3",
        advisories: ["PYSEC-2020-96", "PYSEC-2021-142"],
        reason: "trusted input only",
        expires: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
      },
      caller,
    )
  ).id;
  await service.packages.install({ package: "datakit", skill: "viz" }, caller);
  await service.packages.install({ package: "pyyaml==5.3", skill: "viz" }, caller);
});
afterAll(async () => {
  await index?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

type Component = { name: string; version: string; purl: string; hashes?: { content: string }[] };

describe("packages.sbom", () => {
  it("CycloneDX 1.6 that the schema accepts, with every pin, its digest and accepted advisories", async () => {
    const result = await service.operator.sbom("viz");
    if (result.format !== "cyclonedx") throw new Error("expected CycloneDX");
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    expect(await validator.validate(JSON.stringify(result.bom))).toBeNull();
    const bom = result.bom as { components: Component[]; vulnerabilities: Record<string, unknown>[] };
    const installed = await service.operator.installed("viz");
    expect(bom.components.map((c) => [c.name, c.version])).toEqual(
      installed.map((p) => [p.package, p.version]).toSorted(),
    );
    expect(bom.components.map((c) => c.purl)).toContain(
      `pkg:pypi/pyyaml@5.3?repository_url=${encodeURIComponent(index.url)}`,
    );
    for (const c of bom.components) expect(c.hashes?.[0]?.content).toMatch(/^[0-9a-f]{64}$/);
    const detail = new RegExp(`^Accepted by override ${overrideId} until .*: trusted input only$`);
    expect(bom.vulnerabilities.map((v) => v.id).toSorted()).toEqual(["PYSEC-2020-96", "PYSEC-2021-142"]);
    for (const v of bom.vulnerabilities)
      expect(v).toMatchObject({ analysis: { detail: expect.stringMatching(detail) } });
  });

  it("a pylock.toml that parses back and that uv installs into a fresh venv, exactly as scanned", async () => {
    const result = await service.operator.sbom("viz", "pylock");
    if (result.format !== "pylock") throw new Error("expected pylock");
    const lock = parse(result.pylock) as { packages: { name: string; version: string }[] };
    expect(lock.packages.map((p) => `${p.name}==${p.version}`)).toEqual([
      "datakit==1.0.0",
      "pyyaml==5.3",
      "tinycalc==1.1.0",
    ]);
    const dir = join(root, "elsewhere");
    const lockFile = join(root, "pylock.toml");
    await writeFile(lockFile, result.pylock);
    await run(TOOLS.python, ["-m", "venv", "--without-pip", dir]);
    const env = { PATH: process.env.PATH ?? "", HOME: root };
    await run(
      TOOLS.uv,
      ["pip", "sync", lockFile, "--no-config", "--python", join(dir, "bin", "python"), "--cache-dir", join(root, "uv")],
      { env, timeout: 120_000 },
    );
    const { stdout } = await run(
      join(dir, "bin", "python"),
      ["-c", "import yaml, datakit, tinycalc; print(yaml.__version__, tinycalc.__version__)"],
      { env },
    );
    expect(stdout.trim()).toBe("5.3 1.1.0");
  });

  it("a skill with nothing installed is NOT_FOUND; a bad skill id is refused", async () => {
    await expect(service.operator.sbom("empty")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(service.operator.sbom("../etc")).rejects.toMatchObject({ code: "INVALID_REQUIREMENT" });
  });
});

describe("package-guard sbom", () => {
  const cli = async (...args: string[]) => {
    const argv = [BIN, "sbom", ...args, "--state-dir", stateDir, "--config", join(root, "openclaw.json")];
    try {
      const { stdout } = await run(process.execPath, argv, { timeout: 60_000 });
      return { code: 0, stdout };
    } catch (error) {
      const e = error as { code?: number; stdout?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? "" };
    }
  };

  it("prints the CycloneDX document, or the lock file, ready to redirect into a file", async () => {
    const bom = await cli("--skill", "viz");
    expect(bom.code).toBe(0);
    expect(JSON.parse(bom.stdout)).toMatchObject({ bomFormat: "CycloneDX", specVersion: "1.6" });
    const lock = await cli("--skill", "viz", "--format", "pylock");
    expect(lock.code).toBe(0);
    expect((parse(lock.stdout) as { "lock-version": string })["lock-version"]).toBe("1.0");
    const missing = await cli("--skill", "nothing-here", "--json");
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ code: "NOT_FOUND" });
    expect((await cli("--skill", "viz", "--format", "spdx")).code).toBe(2);
  });
});
