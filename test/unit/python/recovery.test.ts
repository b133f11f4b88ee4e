import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PythonEnvironment } from "../../../src/python/environment.js";
import { skillPaths } from "../../../src/python/layout.js";
import { fakePython, hashOf } from "./fake-python.js";

const AT = "2026-01-01T00:00:00.000Z";
const datakit = { datakit: { specifier: "", extras: [], requestedAt: AT } };
const previousPins = [
  { name: "datakit", version: "1.0.0", hashes: [hashOf("a")] },
  { name: "tinycalc", version: "1.1.0", hashes: [hashOf("b")] },
];
const newPins = [...previousPins, { name: "pyyaml", version: "6.0.2", hashes: [hashOf("c")] }];
const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe("transactions and crash recovery (fake runner)", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  const setup = async (failSync?: (pins: string) => boolean) => {
    const fake = await fakePython(failSync ? { failSync } : {});
    cleanup = fake.cleanup;
    const env = new PythonEnvironment(fake.config, fake.runner);
    await env.withSkill("a", (venv) => venv.apply(previousPins, datakit, { operation: "install", package: "datakit" }));
    return { fake, env, paths: skillPaths(fake.config, "a") };
  };

  it("rolls back to the previous set when the install fails, and says so", async () => {
    // Only the new set (with pyyaml) fails; the restore of the previous set goes through.
    const { fake, env, paths } = await setup((pins) => pins.includes("pyyaml"));
    const syncsBefore = fake.calls.filter((c) => c.args[1] === "sync").length;
    const error = await env
      .withSkill("a", (venv) =>
        venv.apply(
          newPins,
          { ...datakit, pyyaml: { specifier: "", extras: [], requestedAt: AT } },
          { operation: "install", package: "pyyaml" },
        ),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INSTALL_FAILED", details: { rolledBack: true } });
    expect((error as Error).message).toMatch(/; the previous package set was restored$/);
    const syncs = fake.calls.filter((c) => c.args[1] === "sync").slice(syncsBefore);
    expect(syncs).toHaveLength(2);
    expect(await exists(paths.pending)).toBe(false);
    expect(await env.withSkill("a", (venv) => venv.state())).toEqual({ requirements: datakit, pins: previousPins });
  });

  it("reports rolledBack false and keeps the journal when the restore fails too", async () => {
    let failing = false;
    const { env, paths } = await setup(() => failing);
    failing = true;
    const error = await env
      .withSkill("a", (venv) => venv.apply(newPins, datakit, { operation: "install", package: "pyyaml" }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INSTALL_FAILED", details: { rolledBack: false } });
    expect((error as Error).message).toContain("restoring the previous package set also failed");
    expect(JSON.parse(await readFile(paths.pending, "utf8")).previous.pins).toEqual(previousPins);

    failing = false;
    const recovered = await env.recoverInterrupted();
    expect(recovered).toEqual([
      { skill: "a", package: "pyyaml", operation: "install", txId: expect.any(String), ok: true },
    ]);
    expect(await exists(paths.pending)).toBe(false);
  });

  it("restores the journal's previous set after a crash, then forgets the journal", async () => {
    const { fake, env, paths } = await setup();
    // A crash after the journal was written and the venv was half changed: state.json still has the old set.
    await writeFile(
      paths.pending,
      JSON.stringify({
        version: 1,
        txId: "tx-1",
        operation: "install",
        package: "pyyaml",
        previous: { requirements: datakit, pins: previousPins },
        startedAt: AT,
      }),
    );
    const site = join(paths.venv, "lib", "python3.11", "site-packages", "pyyaml-6.0.2.dist-info");
    await mkdir(site, { recursive: true });
    await writeFile(join(site, "METADATA"), "Name: pyyaml\nVersion: 6.0.2\n\n");

    const syncsBefore = fake.calls.filter((c) => c.args[1] === "sync").length;
    expect(await env.recoverInterrupted()).toEqual([
      { skill: "a", package: "pyyaml", operation: "install", txId: "tx-1", ok: true },
    ]);
    const restoreSync = fake.calls.filter((c) => c.args[1] === "sync").slice(syncsBefore);
    expect(restoreSync).toHaveLength(1);
    expect(Object.values(restoreSync[0]!.files)[0]).toContain("tinycalc==1.1.0");
    expect(await exists(site)).toBe(false);
    expect(await exists(paths.pending)).toBe(false);
    expect(await env.recoverInterrupted()).toEqual([]);
  });

  it("reports (and then drops) a journal whose change had committed, without touching the venv", async () => {
    const { fake, env, paths } = await setup();
    const state = JSON.parse(await readFile(paths.state, "utf8"));
    await writeFile(
      paths.pending,
      JSON.stringify({
        version: 1,
        txId: state.lastTxId,
        operation: "install",
        package: "datakit",
        previous: { requirements: {}, pins: [] },
        startedAt: AT,
      }),
    );
    const before = fake.calls.length;
    // Killed after committing but before its outcome was recorded: the venv keeps the new set, and this is said.
    expect(await env.recoverInterrupted()).toEqual([
      { skill: "a", package: "datakit", operation: "install", txId: state.lastTxId, ok: true, committed: true },
    ]);
    expect(fake.calls.slice(before).filter((c) => c.args[1] === "sync")).toEqual([]);
    expect(await exists(paths.pending)).toBe(false);
  });

  it("treats an unreadable journal as interrupted and restores state.json's set", async () => {
    const { env, paths } = await setup();
    await writeFile(paths.pending, "{ torn");
    expect(await env.recoverInterrupted()).toEqual([
      { skill: "a", package: "unknown", operation: "install", txId: "unknown", ok: true },
    ]);
    expect((await env.installed("a")).map((p) => p.package)).toEqual(["datakit", "tinycalc"]);
  });

  it("reports a failed recovery with the reason and keeps the journal for the next start", async () => {
    let failing = false;
    const { env, paths } = await setup(() => failing);
    await writeFile(
      paths.pending,
      JSON.stringify({
        version: 1,
        txId: "tx-2",
        operation: "uninstall",
        package: "datakit",
        previous: { requirements: datakit, pins: previousPins },
        startedAt: AT,
      }),
    );
    failing = true;
    const [report] = await env.recoverInterrupted();
    expect(report).toMatchObject({
      skill: "a",
      package: "datakit",
      operation: "uninstall",
      txId: "tx-2",
      ok: false,
      problem: expect.stringContaining("injected"),
    });
    expect(await exists(paths.pending)).toBe(true);
  });

  it("ignores folders that are not skills", async () => {
    const { fake, env } = await setup();
    await mkdir(join(fake.config.dataDir, "skills", "..hidden"), { recursive: true });
    await mkdir(join(fake.config.dataDir, "skills", "UPPER"), { recursive: true });
    await writeFile(join(fake.config.dataDir, "skills", "UPPER", "pending.json"), "{}");
    expect(await env.recoverInterrupted()).toEqual([]);
  });
});
