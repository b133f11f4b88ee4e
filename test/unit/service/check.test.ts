import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";

// `check` runs steps 1-3 only: no runner call is expected, so one that is made fails the test.
const noProcesses = async () => {
  throw new Error("check must not run any process");
};

let dir: string;
let services: Services;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-check-"));
  const config = parseConfig({ agents: { research: "autonomous" } }, dir);
  services = await openServices(config, { runner: noProcesses });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("check tells the truth about approvals (issue 14.2)", () => {
  it("a package that needs approval is APPROVAL_REQUIRED, not allowed, and no approval is created", async () => {
    const r = await services.packages.check("torch", { maturity: "autonomous" });
    expect(r).toMatchObject({
      allowed: false,
      code: "APPROVAL_REQUIRED",
      package: "torch",
      maturity: "autonomous",
      requiresApproval: true,
    });
    expect(r.message).toContain("pass --skill");
    expect(await services.operator.approvalsList()).toEqual([]);
  });

  it("is allowed with a live grant for exactly that agent and skill, and only then", async () => {
    // An install asks for the approval (refused), an operator approves it.
    await expect(
      services.packages.install({ package: "torch", skill: "vision" }, { source: "rpc", agentId: "research" }),
    ).rejects.toMatchObject({ code: "APPROVAL_REQUIRED" });
    const [pending] = await services.operator.approvalsList("pending");
    await services.operator.approvalsResolve(pending!.id, "approve", {}, { source: "cli" });

    const granted = await services.packages.check("torch", { agentId: "research", skill: "vision" });
    expect(granted).toMatchObject({ allowed: true, requiresApproval: true, approvalId: pending!.id });

    const otherSkill = await services.packages.check("torch", { agentId: "research", skill: "other" });
    expect(otherSkill).toMatchObject({ allowed: false, code: "APPROVAL_REQUIRED" });
    expect(otherSkill.message).toContain("no live grant exists for agent 'research' in skill 'other'");
    const otherAgent = await services.packages.check("torch", { maturity: "autonomous", skill: "vision" });
    expect(otherAgent).toMatchObject({ allowed: false, code: "APPROVAL_REQUIRED" });
  });

  it("a package that needs no approval is allowed as before", async () => {
    expect(await services.packages.check("pandas>=2.0.0", { maturity: "student" })).toMatchObject({
      allowed: true,
      specifier: ">=2.0.0,<3.0.0",
      requiresApproval: false,
    });
  });
});

describe("check for npm tells the same truth about approvals", () => {
  it("APPROVAL_REQUIRED without a live grant for the agent and component; allowed with one", async () => {
    await services.operator.whitelistAdd(
      { package: "three", ecosystem: "npm", maturity: "autonomous", version: "^0.160.0", requires_approval: true },
      { source: "cli" },
    );
    const asked = await services.npm.check("three", { maturity: "autonomous" });
    expect(asked).toMatchObject({
      allowed: false,
      code: "APPROVAL_REQUIRED",
      package: "three",
      requiresApproval: true,
    });
    expect(asked.message).toContain("pass --component");
    expect(await services.operator.approvalsList()).toEqual([]);

    // An install asks for the approval before anything runs (the runner here fails on any process).
    await expect(
      services.npm.install({ package: "three", component: "scene" }, { source: "rpc", agentId: "research" }),
    ).rejects.toMatchObject({ code: "APPROVAL_REQUIRED" });
    const [pending] = await services.operator.approvalsList("pending");
    await services.operator.approvalsResolve(pending!.id, "approve", {}, { source: "cli" });

    expect(await services.npm.check("three", { agentId: "research", component: "scene" })).toMatchObject({
      allowed: true,
      requiresApproval: true,
      approvalId: pending!.id,
    });
    const elsewhere = await services.npm.check("three", { agentId: "research", component: "other" });
    expect(elsewhere).toMatchObject({ allowed: false, code: "APPROVAL_REQUIRED" });
    expect(elsewhere.message).toContain("no live grant exists for agent 'research' in component 'other'");
    // A grant for npm three is not a grant for a PyPI package of the same name, nor the other way round.
    expect(await services.packages.check("three", { agentId: "research", skill: "scene" })).toMatchObject({
      allowed: false,
    });
  });
});
