import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { openGuard, openServices } from "../../../src/runtime.js";

const noProcesses = async () => {
  throw new Error("no process is expected");
};
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-startup-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("what would make installs fail is found at start (issue 14.5)", () => {
  it("a missing whitelist file is reported with its fix", async () => {
    const config = parseConfig({ whitelist: { file: "gone.yaml" } }, dir);
    const services = await openServices(config, { runner: noProcesses });
    const lines = await services.operator.startupProblems();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^package-guard: whitelist: cannot load: .*gone\.yaml does not exist/);
    expect(lines[0]).toContain(`Fix: Create ${join(dir, "gone.yaml")}`);
  });

  it("a range matching no version is reported; the rest of the whitelist still works", async () => {
    await writeFile(join(dir, "wl.yaml"), "tiers:\n  student:\n    - package: pyyaml\n      version: '>=3,<2'\n");
    const config = parseConfig({ whitelist: { file: "wl.yaml" } }, dir);
    const services = await openServices(config, { runner: noProcesses });
    expect(await services.operator.startupProblems()).toEqual([
      expect.stringContaining(`pyyaml (student, ${join(dir, "wl.yaml")}): the range '>=3,<2' matches no version`),
    ]);
    expect(await services.packages.check("pyyaml", { maturity: "student" })).toMatchObject({ code: "CONFIG_INVALID" });
    expect(await services.packages.check("pandas", { maturity: "student" })).toMatchObject({ allowed: true });
  });
});

describe("a bad plugin block closes the guard (issue 14.4)", () => {
  it("getServices() rejects with CONFIG_INVALID naming each problem; nothing is opened", async () => {
    const guard = openGuard({ defaultMaturity: "root", agents: { main: "boss" } }, dir);
    expect(guard.config).toBeNull();
    const e = await guard.getServices().catch((error: unknown) => error);
    expect(e).toMatchObject({ code: "CONFIG_INVALID", details: { closed: true } });
    expect((e as Error).message).toMatch(/^package-guard is closed: Invalid package-guard configuration: /);
    expect((e as Error).message).toContain("/defaultMaturity: must be one of");
    expect((e as Error).message).toContain("/agents/main: must be one of");
    // The same refusal every time, for every surface.
    await expect(guard.getServices()).rejects.toBe(e);
  });

  it("a good block opens the services once", async () => {
    const guard = openGuard({}, dir, { runner: noProcesses });
    expect(guard.problem).toBeNull();
    expect(await guard.getServices()).toBe(await guard.getServices());
  });
});
