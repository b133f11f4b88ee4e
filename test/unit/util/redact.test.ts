import { describe, expect, it, vi } from "vitest";
import { normalizeInput } from "../../../src/audit/record.js";
import { parseConfig } from "../../../src/config.js";
import { PackageGuardError } from "../../../src/errors.js";
import type { WhitelistSources } from "../../../src/policy/whitelist-sources.js";
import type { PythonEnvironment } from "../../../src/python/environment.js";
import { resolveFailure } from "../../../src/python/resolve-failure.js";
import { runDoctor } from "../../../src/service/doctor.js";
import type { Services } from "../../../src/service/services.js";
import { registerGatewayMethods } from "../../../src/surfaces/gateway.js";
import { ToolError } from "../../../src/surfaces/tools.js";
import { redactSecrets } from "../../../src/util/redact.js";

const SECRET = "s3cr3t-T0ken-abcdef123456";
const INDEX = `https://alice:${SECRET}@pypi.internal.example/simple`;

describe("redactSecrets: credentials of every shape", () => {
  it.each([
    [INDEX, "https://***@pypi.internal.example/simple"],
    [`fetch https://__token__:${SECRET}@h/x failed`, "fetch https://***@h/x failed"],
    [`https://h/simple?token=${SECRET}&page=2`, "https://h/simple?token=***&page=2"],
    [`https://h/simple?api_key=short&x=1`, "https://h/simple?api_key=***&x=1"],
    [`https://h/simple?x=${SECRET}`, "https://h/simple?x=***"],
    ["Authorization: Bearer abcdefghijkl0123", "Authorization: Bearer ***"],
    ["ghp_0123456789abcdefghijABCDEFGHIJ012345 leaked", "*** leaked"],
  ])("%s", (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it.each([
    "http://127.0.0.1:8080/simple",
    "pandas>=2,<3",
    "https://files.example/p-1.0.whl#sha256=0123456789abcdef0123456789abcdef0123456789abcdef",
    "PYSEC-2021-142 GHSA-8r8j-xvfj-36f9",
  ])("leaves %s alone", (text) => {
    expect(redactSecrets(text)).toBe(text);
  });
});

const run = {
  command: "uv",
  exitCode: 1,
  stdout: "",
  stderr: `error: Failed to fetch: \`${INDEX}/tinycalc/\`\n  Caused by: connection refused`,
  timedOut: false,
  canceled: false,
  signal: undefined,
  spawnError: undefined,
};

describe("index credentials never leave the process", () => {
  it("in errors (message, details, JSON), as agents, RPC clients and the CLI see them", () => {
    const error = resolveFailure(run, { tinycalc: { specifier: "", extras: [], requestedAt: "" } }, INDEX);
    expect(JSON.stringify(error.toJSON())).not.toContain(SECRET);
    expect(error.message).toContain("***@pypi.internal.example");
    expect(new ToolError(error).message).not.toContain(SECRET);
  });

  it("in RPC error details, whatever a service method threw", async () => {
    let handler: ((o: never) => Promise<void>) | undefined;
    registerGatewayMethods(
      (method, h) => {
        if (method === "packages.doctor") handler = h as never;
      },
      async () =>
        ({
          operator: {
            doctor: async () => {
              throw new PackageGuardError("INSTALL_FAILED", `index ${INDEX} down`, { details: { index: INDEX } });
            },
          },
        }) as unknown as Services,
    );
    const respond = vi.fn();
    await handler!({ params: {}, respond, client: null } as never);
    expect(JSON.stringify(respond.mock.calls)).not.toContain(SECRET);
  });

  it("in audit records: reason, details (keys too) and every other field", () => {
    const body = normalizeInput({
      source: "tool",
      status: "failed",
      reason: `Could not resolve on ${INDEX}`,
      requested: `pandas ${INDEX}`,
      details: { index: INDEX, [INDEX]: 1, nested: [{ url: `https://h/simple?token=${SECRET}` }] },
    });
    expect(JSON.stringify(body)).not.toContain(SECRET);
  });

  it("in doctor: the index URL, an OSV mirror URL and the fixes", async () => {
    const config = parseConfig(
      {
        index: { url: `http://alice:${SECRET}@127.0.0.1:9/simple` },
        scan: { osvUrl: `https://osv.internal/?key=${SECRET}` },
      },
      "/tmp/pg-redact-doctor",
    );
    const python = {
      tools: async () => ({ uv: null, python: null, pipAudit: null }),
      pythonChoice: async () => ({ path: null, how: "missing", onPath: null, record: null }),
    } as unknown as PythonEnvironment;
    const whitelist = {
      current: async () => ({ visibleAt: () => [], entries: () => [] }),
    } as unknown as WhitelistSources;
    // A scanner whose probe quotes its URL, as a failing mirror would.
    const scan = async () => ({
      probe: async () => ({ ok: false, backend: "pip-audit", problem: `https://osv.internal/?key=${SECRET} down` }),
    });
    const report = await runDoctor({ config, python, whitelist, scan, hostAgents: null }, []);
    expect(report.index?.reachable).toBe(false);
    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(report.index?.url).toBe("http://***@127.0.0.1:9/simple");
  });
});
