import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";
import { createInstallApprovalGate, type InstallApprovalResult } from "../../../src/surfaces/approval-gate.js";

let dir: string;
let services: Services;
let clock: number;

const config = (ask = true) =>
  parseConfig(
    {
      agents: { research: "autonomous" },
      whitelist: {
        includeDefault: false,
        tiers: {
          autonomous: [
            { package: "datakit", version: ">=1,<2", requires_approval: true },
            { package: "tinycalc", version: ">=1" },
            { package: "chartkit", ecosystem: "npm", version: "^1.2.0", requires_approval: true },
          ],
        },
      },
      approvals: { ask },
    },
    dir,
  );

const gateFor = () => {
  const logger = { warn: vi.fn() };
  const gate = createInstallApprovalGate({
    service: async () => services.installApprovals,
    timeoutMs: () => 60_000,
    logger,
    now: () => clock,
  });
  return { gate, logger };
};

const agentRun = { agentId: "research", sessionKey: "agent:research:main", runId: "run-1" };
const call = (pkg: string, toolCallId = "call-1") => ({
  toolName: "install_package",
  params: { package: pkg, skill: "pipeline" },
  toolCallId,
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-approval-gate-"));
  clock = Date.parse("2026-11-23T10:00:00Z");
  services = await openServices(config());
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("install_package asks through OpenClaw's approvals", () => {
  it("a request that needs approval asks, naming the agent, the package and the approval id", async () => {
    const { gate } = gateFor();
    const result = (await gate.beforeToolCall(call("datakit"), agentRun)) as InstallApprovalResult;
    const pending = await services.operator.approvalsList("pending");
    expect(pending).toHaveLength(1);
    expect(result.requireApproval.title).toBe("Install datakit for research");
    expect(result.requireApproval.description).toContain("datakit>=1,<2");
    expect(result.requireApproval.description).toContain(pending[0]!.id);
    expect(result.requireApproval.allowedDecisions).toEqual(["allow-once", "allow-always", "deny"]);
    expect(result.requireApproval.timeoutReason).toContain(pending[0]!.id);
    const records = await services.operator.installations({ status: "approval_requested" });
    expect(records[0]).toMatchObject({ source: "tool", agentId: "research", package: "datakit" });
  });

  it("nothing is asked for a request that needs no approval, one policy refuses, or outside an agent run", async () => {
    const { gate } = gateFor();
    expect(await gate.beforeToolCall(call("tinycalc"), agentRun)).toBeUndefined();
    expect(await gate.beforeToolCall(call("not-listed"), agentRun)).toBeUndefined();
    expect(
      await gate.beforeToolCall(call("datakit"), { agentId: "research", sessionKey: "agent:research:main" }),
    ).toBeUndefined();
    expect(await services.operator.approvalsList("pending")).toEqual([]);
  });

  it("an npm request is not asked as the Python package of the same name", async () => {
    const { gate } = gateFor();
    const npm = { toolName: "install_package", toolCallId: "call-npm" };
    expect(
      await gate.beforeToolCall(
        { ...npm, params: { ecosystem: "npm", package: "datakit", skill: "pipeline" } },
        agentRun,
      ),
    ).toBeUndefined();
    expect(
      await gate.beforeToolCall({ ...npm, params: { package_name: "datakit", component_id: "pipeline" } }, agentRun),
    ).toBeUndefined();
    expect(await services.operator.approvalsList("pending")).toEqual([]);
  });

  it("an npm request that needs approval asks as npm, for the grant the npm pipeline looks up", async () => {
    const { gate } = gateFor();
    const params = { ecosystem: "npm", package: "chartkit", version: "1.2.3", component: "board" };
    const result = (await gate.beforeToolCall(
      { toolName: "install_package", params, toolCallId: "call-npm" },
      agentRun,
    )) as InstallApprovalResult;
    expect(result.requireApproval.title).toBe("Install npm chartkit for research");
    expect(result.requireApproval.description).toContain("into component 'board'");
    const [pending] = await services.operator.approvalsList("pending");
    expect(pending).toMatchObject({ package: "npm:chartkit", skill: "board", agentId: "research" });
    void result.requireApproval.onResolution("allow-once");
    await gate.settle("call-npm");
    // What the npm pipeline looks up before it installs: a live grant for this agent, component, package and range.
    const grant = await services.operator.approvalsList("approved");
    expect(grant.map((a) => [a.package, a.skill])).toEqual([["npm:chartkit", "board"]]);
    expect(await services.npm.check("chartkit@1.2.3", { agentId: "research", component: "board" })).toMatchObject({
      allowed: true,
      approvalId: pending!.id,
    });
    const asked = await services.operator.installations({ status: "approval_requested" });
    expect(asked[0]).toMatchObject({ ecosystem: "npm", package: "chartkit", skillId: "board" });
    const resolved = await services.operator.installations({ status: "approval_resolved" });
    expect(resolved[0]).toMatchObject({ ecosystem: "npm", package: "chartkit" });
    // Never a Python grant for a package of the same name.
    expect(grant.some((a) => a.package === "chartkit")).toBe(false);
  });

  it("allow-once grants this request: the tool waits for the grant, and it ends after the install", async () => {
    const { gate } = gateFor();
    const result = (await gate.beforeToolCall(call("datakit"), agentRun)) as InstallApprovalResult;
    // The host reports the answer without awaiting it; the tool's settle() waits for the write.
    void result.requireApproval.onResolution("allow-once");
    await gate.settle("call-1");
    expect((await services.operator.approvalsList("approved")).map((a) => a.package)).toEqual(["datakit"]);
    await gate.finish("call-1");
    expect(await services.operator.approvalsList("approved")).toEqual([]);
    expect((await services.operator.approvalsList("expired")).map((a) => a.package)).toEqual(["datakit"]);
    const resolved = await services.operator.installations({ status: "approval_resolved" });
    expect(resolved[0]?.details).toMatchObject({ decision: "allow-once", via: "openclaw" });
  });

  it("allow-always grants for approvals.ttlHours and is not ended after the install", async () => {
    const { gate } = gateFor();
    const result = (await gate.beforeToolCall(call("datakit"), agentRun)) as InstallApprovalResult;
    await result.requireApproval.onResolution("allow-always");
    await gate.finish("call-1");
    const [approval] = await services.operator.approvalsList("approved");
    expect(Date.parse(approval!.expiresAt!) - Date.parse(approval!.resolvedAt!)).toBe(72 * 3600 * 1000);
    // The next request finds the grant: nothing to ask.
    expect(await gate.beforeToolCall(call("datakit", "call-2"), agentRun)).toBeUndefined();
  });

  it("deny denies the approval; a timeout is recorded and leaves it pending for an operator", async () => {
    const { gate } = gateFor();
    const first = (await gate.beforeToolCall(call("datakit"), agentRun)) as InstallApprovalResult;
    await first.requireApproval.onResolution("timeout");
    const [pending] = await services.operator.approvalsList("pending");
    expect(pending).toBeDefined();
    const again = (await gate.beforeToolCall(call("datakit", "call-2"), agentRun)) as InstallApprovalResult;
    await again.requireApproval.onResolution("deny");
    expect((await services.operator.approvalsList("denied")).map((a) => a.id)).toEqual([pending!.id]);
    const decisions = (await services.operator.installations({ status: "approval_resolved" })).map(
      (r) => r.details?.decision,
    );
    expect(decisions.toSorted()).toEqual(["deny", "timeout"]);
  });

  it("after 'no approval route' the next request gets APPROVAL_REQUIRED with the id instead", async () => {
    const { gate } = gateFor();
    const first = (await gate.beforeToolCall(call("datakit"), agentRun)) as InstallApprovalResult;
    await first.requireApproval.onResolution("cancelled");
    expect(await gate.beforeToolCall(call("datakit", "call-2"), agentRun)).toBeUndefined();
    clock += 11 * 60 * 1000;
    expect(await gate.beforeToolCall(call("datakit", "call-3"), agentRun)).toBeDefined();
  });

  it("operators resolving with packages.approvals.resolve work on the same grant", async () => {
    const { gate } = gateFor();
    await gate.beforeToolCall(call("datakit"), agentRun);
    const [pending] = await services.operator.approvalsList("pending");
    await services.operator.approvalsResolve(pending!.id, "approve", {}, { source: "cli", client: "cli" });
    expect(await gate.beforeToolCall(call("datakit", "call-2"), agentRun)).toBeUndefined();
  });

  it("approvals.ask: false keeps the old behaviour (no prompt)", async () => {
    services = await openServices(config(false));
    const { gate } = gateFor();
    expect(await gate.beforeToolCall(call("datakit"), agentRun)).toBeUndefined();
  });
});
