import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApprovalStore } from "../../../src/policy/approvals.js";

let dir: string;
let now: Date;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-approval-quota-"));
  now = new Date("2026-11-23T10:00:00Z");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Written out, not taken from the store's defaults: the test states the policy it protects.
const store = () =>
  new ApprovalStore({
    file: join(dir, "approvals.json"),
    ttlHours: 72,
    maxPending: 50,
    maxPendingPerAgent: 5,
    pendingTtlHours: 24,
    now: () => now,
  });
const ask = (s: ApprovalStore, agentId: string, skill: string) =>
  s.request({ agentId, skill, package: "torch", specifier: "" }, { maturity: "autonomous", reason: "r" });

describe("one agent cannot fill the approval queue", () => {
  it("throwaway skill ids from one agent stop at its own quota; other agents still get approvals", async () => {
    const s = store();
    for (let i = 0; i < 5; i++) await ask(s, "flooder", `throwaway-${i}`);
    for (let i = 5; i < 50; i++)
      await expect(ask(s, "flooder", `throwaway-${i}`)).rejects.toMatchObject({
        code: "APPROVAL_REQUIRED",
        details: { queueFull: true, scope: "agent" },
      });
    const { approval, created } = await ask(s, "honest", "data-viz");
    expect(created).toBe(true);
    expect((await s.list("pending")).map((a) => a.agentId).toSorted()).toEqual([
      "flooder",
      "flooder",
      "flooder",
      "flooder",
      "flooder",
      "honest",
    ]);
    expect(approval.agentId).toBe("honest");
  });

  it("a retry of the same request reuses its approval and does not count twice", async () => {
    const s = store();
    const first = await ask(s, "a", "s");
    for (let i = 0; i < 10; i++) expect((await ask(s, "a", "s")).approval.id).toBe(first.approval.id);
    expect(await s.list("pending")).toHaveLength(1);
  });
});

describe("pending requests expire", () => {
  it("after pendingTtlHours a request is expired: not pending, not resolvable, and its place is free", async () => {
    const s = store();
    const old: string[] = [];
    for (let i = 0; i < 5; i++) old.push((await ask(s, "a", `s${i}`)).approval.id);
    now = new Date(now.getTime() + 24 * 3600 * 1000 + 1000);
    expect(await s.list("pending")).toEqual([]);
    expect((await s.list("expired")).map((a) => a.id).toSorted()).toEqual(old.toSorted());
    await expect(s.resolve(old[0]!, "approve", { who: "op" })).rejects.toMatchObject({
      code: "CONSTRAINT_VIOLATION",
      details: { status: "expired" },
    });
    // The quota counts live requests only, and the same request now creates a new approval.
    const again = await ask(s, "a", "s0");
    expect(again.created).toBe(true);
    expect(again.approval.id).not.toBe(old[0]);
  });

  it("a request within its lifetime is still pending and can be approved", async () => {
    const s = store();
    const { approval } = await ask(s, "a", "s");
    now = new Date(now.getTime() + 23 * 3600 * 1000);
    expect((await s.list("pending")).map((a) => a.id)).toEqual([approval.id]);
    expect((await s.resolve(approval.id, "approve", { who: "op" })).status).toBe("approved");
  });
});
