import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import entry from "../../../src/index.js";

type Handler = (event: unknown, ctx: unknown) => Promise<unknown> | unknown;

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "pg-entry-"));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

/** register(api) against a stand-in api that records what the plugin registers. */
const load = (pluginConfig: unknown) => {
  const hooks = new Map<string, { handler: Handler; opts: unknown }[]>();
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
  const api = {
    pluginConfig,
    logger,
    runtime: { state: { resolveStateDir: () => stateDir } },
    registerTool: vi.fn(),
    registerGatewayMethod: vi.fn(),
    registerCli: vi.fn(),
    registerService: vi.fn(),
    registerSecurityAuditCollector: vi.fn(),
    on: (name: string, handler: Handler, opts: unknown) =>
      hooks.set(name, [...(hooks.get(name) ?? []), { handler, opts }]),
  };
  (entry as unknown as { register: (api: unknown) => void }).register(api);
  const service = api.registerService.mock.calls[0]![0] as { start: (ctx: unknown) => Promise<void> };
  return { hooks, logger, service };
};

const execCall = (command: string) =>
  [
    { toolName: "exec", params: { command } },
    { agentId: "main", sessionKey: "agent:main:main" },
  ] as const;

describe("the plugin entry", () => {
  it("gates exec, process, terminal, the file tools, plugins and openclaw, and adds the exec environment", async () => {
    const { hooks } = load({});
    const gate = hooks
      .get("before_tool_call")!
      .find((h) => (h.opts as { matcher: string[] }).matcher.includes("exec"))!;
    expect((gate.opts as { matcher: string[] }).matcher).toEqual(
      expect.arrayContaining(["exec", "process", "terminal", "write", "edit", "apply_patch", "plugins", "openclaw"]),
    );
    const env = await hooks.get("resolve_exec_env")![0]!.handler({ toolName: "exec", host: "gateway" }, {});
    expect(env).toEqual({ PIP_NO_INDEX: "1", PIP_REQUIRE_VIRTUALENV: "1", UV_OFFLINE: "1" });
  });

  it("a bad configuration closes the guard: the gate still blocks installs and says why, loudly", async () => {
    const { hooks, service } = load({ shell: { mode: "sometimes" } });
    // The host starts the plugin's service after loading it: that is where the problem is logged, with its fix.
    const startLogger = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
    await service.start({ logger: startLogger });
    expect(startLogger.error).toHaveBeenCalledWith(expect.stringContaining("/shell/mode"));
    const gate = hooks
      .get("before_tool_call")!
      .find((h) => (h.opts as { matcher: string[] }).matcher.includes("exec"))!;
    const result = (await gate.handler(...execCall("pip install six"))) as { block: boolean; blockReason: string };
    expect(result.block).toBe(true);
    expect(result.blockReason).toMatch(/^\[SHELL_BLOCKED\] /);
    expect(result.blockReason).toContain(
      "could not record this decision: package-guard is closed: Invalid package-guard",
    );
    expect(await gate.handler(...execCall("ls -la"))).toBeUndefined();
    // Its default exec environment stays on too.
    expect(await hooks.get("resolve_exec_env")![0]!.handler({ toolName: "exec", host: "gateway" }, {})).toMatchObject({
      PIP_NO_INDEX: "1",
    });
  });

  it("shell.mode off turns the gate and (unless asked for) the exec environment off", async () => {
    const { hooks } = load({ shell: { mode: "off" } });
    const gate = hooks
      .get("before_tool_call")!
      .find((h) => (h.opts as { matcher: string[] }).matcher.includes("exec"))!;
    expect(await gate.handler(...execCall("pip install six"))).toBeUndefined();
    expect(await hooks.get("resolve_exec_env")![0]!.handler({ toolName: "exec", host: "gateway" }, {})).toBeUndefined();
  });
});
