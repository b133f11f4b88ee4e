import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deadProxy,
  exec,
  execRecords,
  once,
  startStepModel,
  type Step,
  type StepModel,
} from "../helpers/agent-steps.js";
import type { GatewayClient } from "../helpers/gateway-client.js";
import { REPO_ROOT, startGateway, type Gateway } from "../helpers/gateway.js";
import { mockModelConfig } from "../helpers/mock-model.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../helpers/package-index.js";
import { toolConfig } from "../helpers/tool-paths.js";
import { CONTROLS, INSTALLS, OPAQUE } from "../unit/shell/table.js";

/**
 * The shell gate in a real gateway (shell.mode block, the default), driven by real agent turns (/tools/invoke never
 * offers exec): a loopback mock model calls exec, process and install_package the way a model would. Approve mode
 * has a gateway of its own (shell-approve.test.ts).
 */

let gateway: Gateway;
let steps: StepModel;
let index: PackageIndex;
let scratch: string;
let admin: GatewayClient;
let undoProxy: () => void;

const turn = (agentId: string, key: string, step: Step): Promise<string[]> => steps.turn(gateway, agentId, key, step);

beforeAll(async () => {
  undoProxy = deadProxy();
  scratch = await mkdtemp(join(tmpdir(), "pg-shell-e2e-"));
  index = await startPackageIndex({ packages: DEMO_PACKAGES });
  steps = await startStepModel();
  gateway = await startGateway({
    agents: ["main", "research"],
    pluginConfig: {
      agents: { research: "autonomous" },
      whitelist: { tiers: { autonomous: [{ package: "datakit", version: ">=1,<2", requires_approval: true }] } },
      python: toolConfig(),
      index: { url: index.url },
      scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
    },
    extraConfig: mockModelConfig(steps.model, { toolSearch: false }),
  });
  // An approval route: an operator client that handles plugin approvals (OpenClaw needs admin + approvals scopes).
  admin = await gateway.connect(["operator.admin", "operator.read", "operator.write", "operator.approvals"], {
    caps: ["plugin-approvals"],
  });
});

afterAll(async () => {
  undoProxy?.();
  await gateway?.stop();
  await steps?.model.close();
  await index?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("shell.mode block (the default)", () => {
  it("exec `pip install requests` is blocked with package-guard's reason, runs nothing, and is audited", async () => {
    const marker = join(scratch, "ran-1");
    const results = await turn("main", "pip", once(exec(`touch ${marker} && pip install requests`)));
    expect(results).toHaveLength(1);
    expect(results[0]).toContain("[SHELL_BLOCKED]");
    expect(results[0]).toContain('install_package {"package":"requests","skill":"<your skill id>"}');
    expect(existsSync(marker)).toBe(false);
    const [record] = await execRecords(admin);
    expect(record).toMatchObject({ source: "exec", status: "blocked", agentId: "main" });
    expect(record?.requested).toContain("pip install requests");
    expect(record?.details).toMatchObject({ tool: "exec", family: "pip", decision: "block" });
  });

  it("an ordinary command runs: python3 -c 'print(6*7)'", async () => {
    const results = await turn("main", "python", once(exec("python3 -c 'print(6*7)'")));
    expect(results[0]).toContain("42");
    expect(results[0]).not.toContain("SHELL_BLOCKED");
  });

  it("the exec environment carries package-guard's variables", async () => {
    const results = await turn("main", "env", once(exec("env | sort")));
    for (const line of ["PIP_NO_INDEX=1", "PIP_REQUIRE_VIRTUALENV=1", "UV_OFFLINE=1"])
      expect(results[0]).toContain(line);
  });

  it("input written to a running shell through `process` is gated too", async () => {
    const marker = join(scratch, "ran-2");
    const results = await turn("main", "process", (seen) => {
      if (seen.length === 0) return [exec("bash --norc", { background: true, pty: true })];
      const session = /session ([\w-]+)/.exec(seen[0] ?? "")?.[1];
      if (seen.length === 1 && session)
        return [
          {
            name: "process",
            arguments: { action: "write", sessionId: session, data: `touch ${marker}; python3 -m pip  install six\r` },
          },
        ];
      if (seen.length === 2 && session) return [{ name: "process", arguments: { action: "kill", sessionId: session } }];
      return null;
    });
    expect(results[0]).toMatch(/still running \(session /);
    expect(results[1]).toContain("[SHELL_BLOCKED]");
    expect(existsSync(marker)).toBe(false);
    const records = await execRecords(admin);
    expect(records.some((r) => r.details?.tool === "process" && r.status === "blocked")).toBe(true);
  });

  it("/tools/invoke does not offer exec: agent turns are the door to gate (and the one these tests use)", async () => {
    const marker = join(scratch, "ran-invoke");
    const outcome = await gateway.invokeTool("exec", { command: `touch ${marker}` });
    expect(outcome.status).toBe(404);
    expect(existsSync(marker)).toBe(false);
  });

  it("the guard's own controls are out of the agent's reach from exec", async () => {
    const results = await turn(
      "main",
      "controls",
      once(
        exec("openclaw packages whitelist add requests"),
        exec("openclaw approvals resolve plugin:1 allow-once"),
        exec(`echo '{}' > ${gateway.stateDir}/package-guard/approvals.json`),
      ),
    );
    expect(results).toHaveLength(3);
    for (const r of results) expect(r).toContain("[SHELL_BLOCKED]");
  });
});

describe("every family, in every position and wrapper of the unit table, through the real gateway's exec", () => {
  // The table's guard rows (not its writes to ~/.openclaw, which is not this gateway's state dir).
  const rows = [...INSTALLS, ...OPAQUE, ...CONTROLS.filter(([, expected]) => expected.startsWith("guard:"))];
  const CHUNK = 40;

  it(`all ${rows.length} are blocked, each with the family the unit table expects in its audit record`, async () => {
    const blocked: string[] = [];
    for (let at = 0; at < rows.length; at += CHUNK) {
      const chunk = rows.slice(at, at + CHUNK);
      const results = await turn("main", `table-${at}`, once(...chunk.map(([command]) => exec(command))));
      expect(results).toHaveLength(chunk.length);
      chunk.forEach(([command], i) => {
        if (!results[i]?.startsWith("[SHELL_BLOCKED]")) blocked.push(`${command} -> ${results[i]?.slice(0, 120)}`);
      });
    }
    expect(blocked).toEqual([]);
    const bySha = new Map((await execRecords(admin)).map((r) => [String(r.requestedSha256), r]));
    const mismatched = rows
      .map(([command, expected]) => {
        const record = bySha.get(createHash("sha256").update(command).digest("hex"));
        const got = record ? `${String(record.details?.kind)}:${String(record.details?.family)}` : "no record";
        return got === expected ? null : `${command}: ${got} (expected ${expected})`;
      })
      .filter((m) => m !== null);
    expect(mismatched).toEqual([]);
  });
});

describe("install_package approvals through OpenClaw's plugin approvals", () => {
  it("a request that needs approval waits for the gateway's approval and installs after allow-once", async () => {
    const requested = admin.waitForEvent<{ id: string; request?: { title?: string } }>("plugin.approval.requested");
    const turnDone = turn(
      "research",
      "datakit",
      once({ name: "install_package", arguments: { package: "datakit", skill: "pipeline" } }),
    );
    const event = await requested;
    expect(event.request?.title).toContain("datakit");
    const resolved = await admin.call("plugin.approval.resolve", { id: event.id, decision: "allow-once" });
    expect(resolved.ok, JSON.stringify(resolved)).toBe(true);
    const results = await turnDone;
    expect(results[0]).toContain("Installed datakit==1.0.0 into skill 'pipeline'");
    // allow-once granted this request only: the grant has ended.
    const approved = await admin.call<{ package: string }[]>("packages.approvals.list", { status: "approved" });
    expect(approved).toMatchObject({ ok: true, payload: [] });
  });
});

describe("the audit log after all of it", () => {
  it("verifies", async () => {
    const verify = await admin.call<{ ok: boolean; records: number }>("packages.audit.verify");
    expect(verify).toMatchObject({ ok: true, payload: { ok: true } });
  });
});
