import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markerScripts, startNpmRegistry, type NpmRegistry } from "../../helpers/npm-registry.js";

const run = promisify(execFile);

/** The loopback registry, checked with the real npm CLI: what the npm pipeline and the widget gate build on. */
describe("test helper: loopback npm registry", () => {
  let registry: NpmRegistry;
  let dir: string;
  let markers: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pg-npm-registry-"));
    markers = join(dir, "markers");
    await mkdir(markers);
    registry = await startNpmRegistry({
      packages: [
        { name: "leftpad", version: "1.0.0" },
        { name: "leftpad", version: "1.1.0", scripts: markerScripts(markers, "leftpad") },
        { name: "@acme/widget", version: "2.0.0", dependencies: { leftpad: "^1.0.0" } },
      ],
    });
  });
  afterAll(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  const project = async (name: string, dependencies: Record<string, string>): Promise<string> => {
    const folder = join(dir, name);
    await mkdir(folder);
    await writeFile(
      join(folder, "package.json"),
      JSON.stringify({ name, version: "0.0.0", private: true, dependencies }),
    );
    await writeFile(join(dir, "user.npmrc"), "");
    await writeFile(join(dir, "global.npmrc"), "");
    return folder;
  };
  const npm = (cwd: string, ...args: string[]) =>
    run(
      "npm",
      [
        ...args,
        "--registry",
        registry.url,
        "--userconfig",
        join(dir, "user.npmrc"),
        "--globalconfig",
        join(dir, "global.npmrc"),
        "--cache",
        join(cwd, ".cache"),
        "--no-audit",
        "--no-fund",
        "--fetch-retries",
        "0",
      ],
      { cwd, env: { PATH: process.env.PATH ?? "", HOME: cwd } },
    );

  it("serves packuments and tarballs npm locks and installs, scoped names included", async () => {
    const folder = await project("scoped", { "@acme/widget": "2.0.0" });
    await npm(folder, "install", "--package-lock-only", "--ignore-scripts");
    const lock = JSON.parse(await readFile(join(folder, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version: string; resolved: string; integrity: string }>;
    };
    expect(lock.packages["node_modules/@acme/widget"]).toMatchObject({
      version: "2.0.0",
      resolved: registry.tarballUrl("@acme/widget", "2.0.0"),
      integrity: registry.integrity("@acme/widget", "2.0.0"),
    });
    expect(lock.packages["node_modules/leftpad"]?.version).toBe("1.1.0");
    expect(registry.requests).toContain("/@acme/widget");
    await npm(folder, "ci", "--ignore-scripts");
    const installed = await readFile(join(folder, "node_modules/@acme/widget/index.js"), "utf8");
    expect(installed).toContain('"version":"2.0.0"');
    expect(await readdir(markers)).toEqual([]);
  });

  it("markerScripts write their files when npm does run scripts (so an empty folder proves they did not)", async () => {
    const folder = await project("scripts-on", { leftpad: "1.1.0" });
    await npm(folder, "install");
    expect((await readdir(markers)).toSorted()).toEqual([
      "install-leftpad",
      "postinstall-leftpad",
      "preinstall-leftpad",
    ]);
    await rm(markers, { recursive: true });
    await mkdir(markers);
  });

  it("a tampered tarball fails npm's integrity check against the packument", async () => {
    const folder = await project("tampered", { leftpad: "1.0.0" });
    await npm(folder, "install", "--package-lock-only", "--ignore-scripts");
    registry.tamper("leftpad", "1.0.0");
    try {
      await expect(npm(folder, "ci", "--ignore-scripts")).rejects.toMatchObject({
        stderr: expect.stringContaining("EINTEGRITY"),
      });
    } finally {
      registry.tamper("leftpad", "1.0.0", false);
    }
    await npm(folder, "ci", "--ignore-scripts");
  });

  it("serves the same bytes at a raw URL outside the registry layout", async () => {
    const response = await fetch(registry.rawTarballUrl("leftpad", "1.0.0"));
    expect(Buffer.from(await response.arrayBuffer())).toEqual(registry.tarball("leftpad", "1.0.0"));
  });
});
