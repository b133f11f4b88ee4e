import { access, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuditLog } from "../../../src/audit/log.js";
import { skillPaths } from "../../../src/python/layout.js";
import { openServices } from "../../../src/runtime.js";
import { serviceHarness, type Release, type ServiceHarness } from "./harness.js";

/*
 * Issue 13 items 9 and 10: nothing changes a venv before a durable "started" record exists, the outcome is recorded
 * before the change is final, and an interrupted change is recovered (and recorded) before anything else.
 */
const CATALOGUE: Release[] = [
  { name: "tinycalc", version: "1.0.0" },
  { name: "pyyaml", version: "6.0.2" },
];
const BLOCK = { whitelist: { tiers: { student: [{ package: "tinycalc" }, { package: "pyyaml" }] } } };
const caller = { source: "cli" as const, agentId: null, client: "cli" };

let h: ServiceHarness | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await h?.cleanup();
});

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const venvCalls = () =>
  h!.calls.filter((c) => (c.file === h!.uv && (c.args[0] === "venv" || c.args[1] === "sync")) || c.args[1] === "venv");
const records = async () =>
  (await h!.services.operator.installations({ limit: 100 })).toReversed().map((r) => [r.status, r.package]);

describe("write-ahead audit records", () => {
  it("a change starts with a durable 'started' record, then its outcome; a policy denial is one record", async () => {
    h = await serviceHarness({ catalogue: CATALOGUE, block: BLOCK });
    await h.services.packages.install({ package: "tinycalc", skill: "s1" }, caller);
    await h.services.packages.uninstall({ package: "tinycalc", skill: "s1" }, caller);
    await h.services.packages.install({ package: "requests", skill: "s1" }, caller).catch(() => undefined);
    expect(await records()).toEqual([
      ["started", "tinycalc"],
      ["completed", "tinycalc"],
      ["started", "tinycalc"],
      ["uninstalled", "tinycalc"],
      ["blocked", "requests"],
    ]);
    expect((await h.services.operator.verifyAudit()).ok).toBe(true);
  });

  it("when the audit log cannot be written, the install fails before any venv is created or changed", async () => {
    h = await serviceHarness({ catalogue: CATALOGUE, block: BLOCK });
    // What a full or read-only disk looks like to the appender: the log cannot be opened for writing.
    await rm(h.config.audit.file);
    await mkdir(h.config.audit.file);
    const error = await h.services.packages
      .install({ package: "tinycalc", skill: "s1" }, caller)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    expect((error as Error).message).toContain("Nothing is changed that cannot be recorded");
    expect(venvCalls()).toEqual([]);
    expect(await exists(skillPaths(h.config, "s1").venv)).toBe(false);
    expect(await h.services.operator.installed("s1")).toEqual([]);
  });

  it("when the outcome cannot be recorded, the change is undone and the caller is told", async () => {
    h = await serviceHarness({ catalogue: CATALOGUE, block: BLOCK });
    await h.services.packages.install({ package: "tinycalc", skill: "s1" }, caller);
    const append = AuditLog.prototype.append;
    vi.spyOn(AuditLog.prototype, "append").mockImplementation(async function (this: AuditLog, input) {
      if (input.status === "completed") throw new Error("ENOSPC: no space left on device, write");
      return append.call(this, input);
    });
    const error = await h.services.packages
      .install({ package: "pyyaml", skill: "s1" }, caller)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INSTALL_FAILED", details: { reason: "audit-unavailable", rolledBack: true } });
    expect((error as Error).message).toContain("ENOSPC");
    // The venv, its state and the log agree: pyyaml never arrived, and the log says it was rolled back.
    expect((await h.services.operator.installed("s1")).map((p) => p.package)).toEqual(["tinycalc"]);
    const site = await readFile(skillPaths(h.config, "s1").state, "utf8");
    expect(site).not.toContain("pyyaml");
    expect(await exists(skillPaths(h.config, "s1").pending)).toBe(false);
    expect((await records()).slice(-2)).toEqual([
      ["started", "pyyaml"],
      ["rolled_back", "pyyaml"],
    ]);
  });
});

describe("interrupted changes are recovered first, and recorded", () => {
  /** What a CLI killed mid-install leaves: the journal, and a venv holding part of the new set. */
  const interrupt = async (h: ServiceHarness) => {
    const paths = skillPaths(h.config, "s1");
    const state = JSON.parse(await readFile(paths.state, "utf8"));
    await writeFile(
      paths.pending,
      JSON.stringify({
        version: 1,
        txId: "killed",
        operation: "install",
        package: "pyyaml",
        previous: { requirements: state.requirements, pins: state.pins },
        startedAt: "2026-01-01T00:00:00.000Z",
      }),
    );
  };

  it("opening the services (every entry point does) rolls back and records the interruption", async () => {
    h = await serviceHarness({ catalogue: CATALOGUE, block: BLOCK });
    await h.services.packages.install({ package: "tinycalc", skill: "s1" }, caller);
    await interrupt(h);
    const again = await openServices(h.config, { runner: h.runner });
    expect(again.recovered).toBe(1);
    expect(await exists(skillPaths(h.config, "s1").pending)).toBe(false);
    const log = (await again.operator.installations({ limit: 2 })).toReversed();
    expect(log.map((r) => [r.source, r.status, r.package, r.details?.txId ?? null])).toEqual([
      ["system", "started", "pyyaml", "killed"],
      ["system", "interrupted", "pyyaml", "killed"],
    ]);
    expect(log[1]?.reason).toBe("An install of pyyaml was interrupted; the previous package set was restored");
  });

  it("a journal found when a skill's lock is taken is recovered before the new change, never overwritten", async () => {
    h = await serviceHarness({ catalogue: CATALOGUE, block: BLOCK });
    await h.services.packages.install({ package: "tinycalc", skill: "s1" }, caller);
    await interrupt(h);
    await h.services.packages.install({ package: "pyyaml", skill: "s1" }, caller);
    expect((await records()).slice(-4)).toEqual([
      ["started", "pyyaml"],
      ["started", "pyyaml"],
      ["interrupted", "pyyaml"],
      ["completed", "pyyaml"],
    ]);
    expect((await h.services.operator.installed("s1")).map((p) => p.package)).toEqual(["pyyaml", "tinycalc"]);
  });
});
