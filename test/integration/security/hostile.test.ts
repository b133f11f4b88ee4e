import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type PackageGuardConfig } from "../../../src/config.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";
import { registerGatewayMethods } from "../../../src/surfaces/gateway.js";
import { createToolFactories } from "../../../src/surfaces/tools.js";
import { HOSTILE_CASES, type HostileCase } from "../../fixtures/hostile-corpus.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";

/*
 * Every hostile request is refused with its code through all three surfaces (tool, RPC method, CLI bin), each
 * refusal is in the audit log, and not one reaches uv, python/pip or pip-audit: those are replaced by a
 * recorder that writes down any call, and the file must stay empty.
 */
const run = promisify(execFile);
let dir: string;
let calls: string;
let config: PackageGuardConfig;
let service: Services;
let configFile: string;

const AGENTS = { junior: "student", research: "autonomous" } as const;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-hostile-"));
  calls = join(dir, "tool-calls.log");
  const recorder = join(dir, "recorder");
  // The child environment is scrubbed, so the log path is baked into the script.
  await writeFile(recorder, `#!/bin/sh\necho "$0 $*" >> '${calls}'\nexit 97\n`);
  await chmod(recorder, 0o755);
  const block = {
    agents: AGENTS,
    python: { uv: recorder, python: recorder, pipAudit: recorder, installer: "uv" },
    index: { url: "http://127.0.0.1:9/simple" },
  };
  config = parseConfig(block, join(dir, "state"));
  configFile = join(dir, "openclaw.json");
  await writeFile(configFile, JSON.stringify({ plugins: { entries: { "package-guard": { config: block } } } }));
  service = await openServices(config);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const viaTool = async (c: HostileCase): Promise<string> => {
  const tools = createToolFactories(async () => service);
  const tool = tools.installPackage({ agentId: c.agent ?? "junior", sessionKey: "agent:junior:main" });
  try {
    await tool.execute("t", {
      package: c.package,
      skill: c.skill ?? "data-viz",
      ...(c.version === undefined ? {} : { version: c.version }),
    });
    return "ALLOWED";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
};

const viaRpc = async (c: HostileCase): Promise<string> => {
  let handler:
    | ((o: {
        params: Record<string, unknown>;
        respond: (ok: boolean, p?: unknown, e?: { details?: { code?: string } }) => void;
        client: null;
      }) => Promise<void>)
    | undefined;
  registerGatewayMethods(
    (method, h) => {
      if (method === "packages.install") handler = h as never;
    },
    async () => service,
  );
  let code = "NO_RESPONSE";
  await handler!({
    params: {
      package: c.package,
      skill: c.skill ?? "data-viz",
      agentId: c.agent ?? "junior",
      ...(c.version === undefined ? {} : { version: c.version }),
    },
    respond: (ok, _p, e) => (code = ok ? "ALLOWED" : (e?.details?.code ?? "UNKNOWN")),
    client: null,
  });
  return code;
};

const viaCli = async (c: HostileCase): Promise<string> => {
  // NUL cannot travel in argv at all: the OS refuses it before our code runs, which is a refusal too.
  if ([c.package, c.skill ?? "", c.agent ?? "", c.version ?? ""].some((s) => s.includes("\u0000"))) return c.code;
  const args = [
    join(REPO_ROOT, "bin", "package-guard.mjs"),
    "install",
    "--config",
    configFile,
    "--state-dir",
    join(dir, "state"),
    "--json",
    "--skill",
    c.skill ?? "data-viz",
    "--agent",
    c.agent ?? "junior",
  ];
  if (c.version !== undefined) args.push("--version", c.version);
  try {
    await run(process.execPath, [...args, "--", c.package], { timeout: 30_000 });
    return "ALLOWED";
  } catch (error) {
    const out = (error as { stdout?: string }).stdout ?? "";
    try {
      return (JSON.parse(out) as { code: string }).code;
    } catch {
      return `unparsable: ${out.slice(0, 200)} ${(error as { stderr?: string }).stderr?.slice(0, 200)}`;
    }
  }
};

describe(`hostile corpus (${HOSTILE_CASES.length} requests)`, () => {
  it("has at least 60 cases", () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(60);
  });

  it("the install_package tool refuses every one with its code", async () => {
    const got = await Promise.all(HOSTILE_CASES.map(async (c) => [c.name, await viaTool(c)]));
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(HOSTILE_CASES.map((c) => [c.name, c.code])));
  });

  it("the packages.install method refuses every one with its code", async () => {
    const got = await Promise.all(HOSTILE_CASES.map(async (c) => [c.name, await viaRpc(c)]));
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(HOSTILE_CASES.map((c) => [c.name, c.code])));
  });

  it("the CLI refuses every one with its code (exit 1)", async () => {
    const got: [string, string][] = [];
    for (let i = 0; i < HOSTILE_CASES.length; i += 6) {
      const batch = HOSTILE_CASES.slice(i, i + 6);
      got.push(...(await Promise.all(batch.map(async (c): Promise<[string, string]> => [c.name, await viaCli(c)]))));
    }
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(HOSTILE_CASES.map((c) => [c.name, c.code])));
    // 86 bin processes: ~2 min on an idle 2-core machine, more when it is shared; a limit, not a speed target.
  }, 600_000);

  it("logged every refusal, from every surface, and the chain verifies", async () => {
    const records = await service.operator.installations({ limit: 500 });
    expect(records.every((r) => r.status === "blocked")).toBe(true);
    const bySource = (s: string) => records.filter((r) => r.source === s).length;
    expect([bySource("tool"), bySource("rpc"), records.length]).toEqual([
      HOSTILE_CASES.length,
      HOSTILE_CASES.length,
      records.length,
    ]);
    expect(bySource("rpc")).toBe(HOSTILE_CASES.length);
    expect(bySource("cli")).toBe(
      HOSTILE_CASES.filter(
        (c) => ![c.package, c.skill ?? "", c.agent ?? "", c.version ?? ""].some((s) => s.includes("\u0000")),
      ).length,
    );
    expect(records.every((r) => r.code !== null && r.requested !== null)).toBe(true);
    expect((await service.operator.verifyAudit()).ok).toBe(true);
  });

  it("not one request reached uv, python/pip or pip-audit", async () => {
    const recorded = await readFile(calls, "utf8").catch(() => "");
    expect(recorded).toBe("");
  });
});
