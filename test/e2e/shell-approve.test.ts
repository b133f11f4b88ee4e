import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadProxy, exec, execRecords, once, startStepModel, type StepModel } from "../helpers/agent-steps.js";
import type { GatewayClient } from "../helpers/gateway-client.js";
import { startGateway, type Gateway } from "../helpers/gateway.js";
import { mockModelConfig } from "../helpers/mock-model.js";

/**
 * shell.mode approve in a real gateway: an install through exec waits for the user (OpenClaw's plugin approvals,
 * answered here by an operator client that handles them); a denial blocks it, an approval lets it run.
 */

let gateway: Gateway;
let steps: StepModel;
let scratch: string;
let admin: GatewayClient;
let undoProxy: () => void;

beforeAll(async () => {
  undoProxy = deadProxy();
  scratch = await mkdtemp(join(tmpdir(), "pg-shell-approve-"));
  steps = await startStepModel();
  gateway = await startGateway({
    agents: ["main"],
    pluginConfig: { shell: { mode: "approve" } },
    extraConfig: mockModelConfig(steps.model, { toolSearch: false }),
  });
  // The approval route: an operator client with the scopes and capability OpenClaw requires for plugin approvals.
  admin = await gateway.connect(["operator.admin", "operator.read", "operator.write", "operator.approvals"], {
    caps: ["plugin-approvals"],
  });
});

afterAll(async () => {
  undoProxy?.();
  await gateway?.stop();
  await steps?.model.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

type Requested = { id: string; request?: { title?: string; description?: string } };

describe("shell.mode approve", () => {
  it("the call waits for the user, who sees the agent and the command; a denial blocks it", async () => {
    const marker = join(scratch, "denied");
    const requested = admin.waitForEvent<Requested>("plugin.approval.requested", (p) =>
      (p.request?.description ?? "").includes(marker),
    );
    const turnDone = steps.turn(gateway, "main", "deny", once(exec(`touch ${marker} && pip install --no-index six`)));
    const event = await requested;
    expect(event.request?.title).toBe("main: pip through exec");
    expect(event.request?.description).toContain("Agent main wants to run");
    expect(existsSync(marker)).toBe(false);
    await admin.call("plugin.approval.resolve", { id: event.id, decision: "deny" });
    await turnDone;
    expect(existsSync(marker)).toBe(false);
  });

  it("an approval lets it run, and the request and the answer are audited", async () => {
    const marker = join(scratch, "allowed");
    const requested = admin.waitForEvent<Requested>("plugin.approval.requested", (p) =>
      (p.request?.description ?? "").includes(marker),
    );
    const turnDone = steps.turn(gateway, "main", "allow", once(exec(`touch ${marker} && pip install --no-index six`)));
    const event = await requested;
    await admin.call("plugin.approval.resolve", { id: event.id, decision: "allow-once" });
    await turnDone;
    expect(existsSync(marker)).toBe(true);
    const records = await execRecords(admin);
    expect(records.filter((r) => r.status === "approval_requested")).toHaveLength(2);
    expect(
      records
        .filter((r) => r.status === "approval_resolved")
        .map((r) => r.details?.resolution)
        .toSorted(),
    ).toEqual(["allow-once", "deny"]);
  });

  it("the guard's own controls are refused even in approve mode, without asking", async () => {
    const results = await steps.turn(
      gateway,
      "main",
      "controls",
      once(exec("openclaw approvals resolve x allow-once")),
    );
    expect(results[0]).toContain("[SHELL_BLOCKED]");
  });

  it("audit verify stays ok", async () => {
    expect(await admin.call("packages.audit.verify")).toMatchObject({ ok: true, payload: { ok: true } });
  });
});
