import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApprovalStore } from "../../../src/policy/approvals.js";

let dir: string;
let now: Date;
const store = (overrides: Partial<{ maxPending: number; ttlHours: number }> = {}) =>
  new ApprovalStore({
    file: join(dir, "approvals.json"),
    ttlHours: overrides.ttlHours ?? 72,
    maxPending: overrides.maxPending ?? 3,
    now: () => now,
  });
const key = { agentId: "research", skill: "vision", package: "torch", specifier: ">=2.0.0" };
const details = { maturity: "autonomous", reason: "tool request" };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-approvals-"));
  now = new Date("2026-11-23T10:00:00Z");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("approvals", () => {
  it("a request creates one pending approval; retrying reuses it", async () => {
    const s = store();
    const first = await s.request(key, details);
    const again = await s.request(key, details);
    expect(first.created).toBe(true);
    expect(again).toEqual({ approval: first.approval, created: false });
    expect(first.approval.id).toMatch(/^apr_[0-9a-f]{16}$/);
    expect((await s.list("pending")).map((a) => a.id)).toEqual([first.approval.id]);
  });

  it("an approved grant matches exactly its agent, skill, package and range until it expires", async () => {
    const s = store();
    const { approval } = await s.request(key, details);
    expect(await s.grantFor(key)).toBeUndefined();
    await s.resolve(approval.id, "approve", { who: "op", ttlHours: 2 });
    expect((await s.grantFor(key))?.id).toBe(approval.id);
    // No widening: another agent, skill, package or range gets nothing from it.
    expect(await s.grantFor({ ...key, agentId: "main" })).toBeUndefined();
    expect(await s.grantFor({ ...key, skill: "other" })).toBeUndefined();
    expect(await s.grantFor({ ...key, package: "transformers" })).toBeUndefined();
    expect(await s.grantFor({ ...key, specifier: ">=1.0" })).toBeUndefined();
    now = new Date("2026-11-23T11:59:59Z");
    expect(await s.grantFor(key)).toBeDefined();
    now = new Date("2026-11-23T12:00:00Z");
    expect(await s.grantFor(key)).toBeUndefined();
    expect((await s.list("expired")).map((a) => a.id)).toEqual([approval.id]);
  });

  it("a denial grants nothing and cannot be resolved twice", async () => {
    const s = store();
    const { approval } = await s.request(key, details);
    const denied = await s.resolve(approval.id, "deny", { who: "op", note: "not on this host" });
    expect(denied).toMatchObject({ status: "denied", note: "not on this host", resolvedBy: "op", expiresAt: null });
    expect(await s.grantFor(key)).toBeUndefined();
    await expect(s.resolve(approval.id, "approve", { who: "op" })).rejects.toMatchObject({
      code: "CONSTRAINT_VIOLATION",
    });
    await expect(s.resolve("apr_nope", "approve", { who: "op" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("bounds the pending queue so an agent cannot flood it", async () => {
    const s = store({ maxPending: 2 });
    await s.request({ ...key, skill: "a" }, details);
    await s.request({ ...key, skill: "b" }, details);
    await expect(s.request({ ...key, skill: "c" }, details)).rejects.toMatchObject({
      code: "APPROVAL_REQUIRED",
      details: { queueFull: true },
    });
    expect(await s.list("pending")).toHaveLength(2);
  });

  it("survives a restart (a new store on the same file), with the default TTL from config", async () => {
    const { approval } = await store().request(key, details);
    await store({ ttlHours: 72 }).resolve(approval.id, "approve", { who: "op" });
    const grant = await store().grantFor(key);
    expect(grant?.expiresAt).toBe("2026-11-26T10:00:00.000Z");
    expect(JSON.parse(await readFile(join(dir, "approvals.json"), "utf8")).approvals).toHaveLength(1);
  });

  it("fails closed on an unreadable file instead of granting or overwriting", async () => {
    await writeFile(join(dir, "approvals.json"), "{not json");
    await expect(store().grantFor(key)).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    await expect(store().request(key, details)).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    expect(await readFile(join(dir, "approvals.json"), "utf8")).toBe("{not json");
  });
});
