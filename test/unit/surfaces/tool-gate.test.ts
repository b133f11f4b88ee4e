import { describe, expect, it, vi } from "vitest";
import type { AuditInput } from "../../../src/audit/log.js";
import { DEFAULT_SHELL, type ShellMode } from "../../../src/config.js";
import { guardPaths, ShellGate } from "../../../src/service/shell-gate.js";
import { createToolGate } from "../../../src/surfaces/tool-gate.js";

const paths = guardPaths(null, "/home/agent/.openclaw", { HOME: "/home/agent" });
const ctx = { agentId: "main", sessionKey: "agent:main:main" };
const exec = (command: string) => ({ toolName: "exec", params: { command }, toolCallId: "c1" });

const setup = (mode: ShellMode, record: (input: AuditInput) => Promise<unknown>) => {
  const logger = { warn: vi.fn() };
  const gate = new ShellGate({ shell: { ...DEFAULT_SHELL, mode }, paths, record });
  return { handler: createToolGate({ gate: () => gate, logger }), logger };
};

describe("the before_tool_call adapter", () => {
  it("passes ordinary commands without a record", async () => {
    const record = vi.fn(async () => undefined);
    const { handler } = setup("block", record);
    expect(await handler(exec("ls -la"), ctx)).toBeUndefined();
    expect(record).not.toHaveBeenCalled();
  });

  it("blocks with the gate's reason and records the block", async () => {
    const records: AuditInput[] = [];
    const { handler } = setup("block", async (r) => records.push(r));
    const result = await handler(exec("pip install six"), ctx);
    expect(result).toEqual({ block: true, blockReason: expect.stringMatching(/^\[SHELL_BLOCKED\] .*install_package/) });
    expect(records.map((r) => [r.source, r.status, r.agentId])).toEqual([["exec", "blocked", "main"]]);
  });

  it("still blocks when the record cannot be written (no valid config, no audit log), and says so", async () => {
    const { handler, logger } = setup("block", async () => {
      throw new Error("Invalid package-guard configuration: /shell/mode: must be one of: block, approve, off");
    });
    const result = await handler(exec("pip install six"), ctx);
    expect(result && "block" in result && result.blockReason).toContain(
      "(package-guard could not record this decision: Invalid package-guard configuration",
    );
    expect(logger.warn).toHaveBeenCalled();
  });

  it("in approve mode asks (allow-once or deny only) and records the request and the answer", async () => {
    const records: AuditInput[] = [];
    const { handler } = setup("approve", async (r) => records.push(r));
    const result = await handler(exec("pip install six"), ctx);
    if (!result || !("requireApproval" in result)) throw new Error("expected an approval request");
    const ask = result.requireApproval;
    expect(ask.allowedDecisions).toEqual(["allow-once", "deny"]);
    expect(ask.title).toBe("main: pip through exec");
    expect(ask.description).toContain("Agent main wants to run: pip install six");
    await ask.onResolution("deny");
    expect(records.map((r) => [r.status, r.details?.resolution ?? null])).toEqual([
      ["approval_requested", null],
      ["approval_resolved", "deny"],
    ]);
  });

  it("fails closed when the gate itself fails: what names an installer is blocked, the rest runs", async () => {
    const logger = { warn: vi.fn() };
    const broken = {
      check: async () => Promise.reject(new Error("wasm failed")),
      audit: async () => undefined,
      shell: DEFAULT_SHELL,
    };
    const handler = createToolGate({ gate: () => broken as unknown as ShellGate, logger });
    const blocked = await handler(exec("pip install six"), ctx);
    expect(blocked && "block" in blocked && blocked.blockReason).toContain("could not check this call (wasm failed)");
    expect(await handler(exec("ls"), ctx)).toBeUndefined();
  });
});
