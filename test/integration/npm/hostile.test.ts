import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";
import { registerGatewayMethods } from "../../../src/surfaces/gateway.js";
import { createToolFactories } from "../../../src/surfaces/tools.js";
import { NPM_HOSTILE_CASES, type NpmHostileCase } from "../../fixtures/npm-hostile-corpus.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";

/*
 * Every hostile npm request is refused with its code through the tool, the RPC method and the CLI bin, each refusal
 * is in the audit log, and not one reaches npm: npm.npm is a recorder that writes down any call.
 */
const run = promisify(execFile);
let dir: string;
let calls: string;
let service: Services;
let configFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-npm-hostile-"));
  calls = join(dir, "npm-calls.log");
  const recorder = join(dir, "recorder");
  await writeFile(recorder, `#!/bin/sh\necho "$0 $*" >> '${calls}'\nexit 97\n`);
  await chmod(recorder, 0o755);
  const block = {
    agents: { junior: "student" },
    whitelist: {
      includeDefault: false,
      tiers: {
        student: [
          { package: "lodash", ecosystem: "npm", version: "^4.17.21" },
          { package: "@acme/widget", ecosystem: "npm", version: "^2.0.0" },
        ],
        intern: [{ package: "d3", ecosystem: "npm", version: "7.9.0" }],
      },
    },
    npm: { npm: recorder, registry: "http://127.0.0.1:9/" },
  };
  configFile = join(dir, "openclaw.json");
  await writeFile(configFile, JSON.stringify({ plugins: { entries: { "package-guard": { config: block } } } }));
  service = await openServices(parseConfig(block, join(dir, "state")));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const params = (c: NpmHostileCase) => ({
  ecosystem: "npm",
  package: c.package,
  component: "component" in c ? c.component : "dashboard",
  ...(c.version === undefined ? {} : { version: c.version }),
});

const viaTool = async (c: NpmHostileCase): Promise<string> => {
  const tool = createToolFactories(async () => service).installPackage({ agentId: "junior" });
  try {
    await tool.execute("t", params(c));
    return "ALLOWED";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
};

const viaRpc = async (c: NpmHostileCase): Promise<string> => {
  let handler: ((o: unknown) => Promise<void>) | undefined;
  registerGatewayMethods(
    (method, h) => {
      if (method === "packages.install") handler = h as never;
    },
    async () => service,
  );
  let code = "NO_RESPONSE";
  await handler!({
    params: { ...params(c), agentId: "junior" },
    respond: (ok: boolean, _p: unknown, e?: { details?: { code?: string } }) =>
      (code = ok ? "ALLOWED" : (e?.details?.code ?? "UNKNOWN")),
    client: null,
  });
  return code;
};

// The CLI takes strings only, and argv cannot carry every byte: a quarter of the cases it can express (each bin start
// costs a second or two; the surfaces share one parser, which the tool and RPC runs cover in full).
const cliCases = NPM_HOSTILE_CASES.filter(
  (c) =>
    typeof c.package === "string" &&
    (c.component === undefined || (typeof c.component === "string" && c.component !== "")) &&
    // oxlint-disable-next-line no-control-regex -- exactly the bytes argv cannot carry
    !/[\n\u0000]/.test(String(c.package) + String(c.version ?? "")),
).filter((_, i) => i % 4 === 0);

const viaCli = async (c: NpmHostileCase): Promise<string> => {
  const args = [join(REPO_ROOT, "bin", "package-guard.mjs"), "install", "--config", configFile];
  args.push("--state-dir", join(dir, "state"), "--json", "--agent", "junior");
  args.push("--component", String(c.component ?? "dashboard"));
  if (c.version !== undefined) args.push("--version", String(c.version));
  try {
    await run(process.execPath, [...args, "--", String(c.package)], { timeout: 30_000 });
    return "ALLOWED";
  } catch (error) {
    const out = (error as { stdout?: string }).stdout ?? "";
    try {
      return (JSON.parse(out) as { code: string }).code;
    } catch {
      return `unparsable: ${out.slice(0, 200)}`;
    }
  }
};

const expected = (cases: NpmHostileCase[]) => Object.fromEntries(cases.map((c) => [c.name, c.code]));

describe(`hostile npm corpus (${NPM_HOSTILE_CASES.length} requests)`, () => {
  it("the install_package tool refuses every one with its code", async () => {
    const got = await Promise.all(NPM_HOSTILE_CASES.map(async (c) => [c.name, await viaTool(c)]));
    expect(Object.fromEntries(got)).toEqual(expected(NPM_HOSTILE_CASES));
  });

  it("the packages.install method refuses every one with its code", async () => {
    const got = await Promise.all(NPM_HOSTILE_CASES.map(async (c) => [c.name, await viaRpc(c)]));
    expect(Object.fromEntries(got)).toEqual(expected(NPM_HOSTILE_CASES));
  });

  it("the CLI refuses them with their codes (exit 1)", async () => {
    const got: [string, string][] = [];
    for (let i = 0; i < cliCases.length; i += 6) {
      const batch = cliCases.slice(i, i + 6);
      got.push(...(await Promise.all(batch.map(async (c): Promise<[string, string]> => [c.name, await viaCli(c)]))));
    }
    expect(cliCases.length).toBeGreaterThan(10);
    expect(Object.fromEntries(got)).toEqual(expected(cliCases));
  });

  it("logged every refusal as an npm record, from every surface, and the chain verifies", async () => {
    const records = await service.operator.installations({ limit: 500, ecosystem: "npm" });
    expect(records.every((r) => r.status === "blocked" && r.code !== null)).toBe(true);
    const bySource = (s: string) => records.filter((r) => r.source === s).length;
    expect([bySource("tool"), bySource("rpc"), bySource("cli")]).toEqual([
      NPM_HOSTILE_CASES.length,
      NPM_HOSTILE_CASES.length,
      cliCases.length,
    ]);
    expect((await service.operator.verifyAudit()).ok).toBe(true);
  });

  it("not one request reached npm", async () => {
    expect(await readFile(calls, "utf8").catch(() => "")).toBe("");
  });
});
