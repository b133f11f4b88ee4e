import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../../src/audit/log.js";
import { parseConfig } from "../../../src/config.js";
import { WhitelistSources } from "../../../src/policy/whitelist-sources.js";
import type { PythonEnvironment } from "../../../src/python/environment.js";
import { PackageService, type ServiceDeps } from "../../../src/service/pipeline.js";
import type { Services } from "../../../src/service/services.js";
import { createToolFactories } from "../../../src/surfaces/tools.js";

let dir: string;
let audit: AuditLog;
let tool: ReturnType<ReturnType<typeof createToolFactories>["installPackage"]>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-hostile-params-"));
  const config = parseConfig({}, dir);
  audit = await AuditLog.open(config.audit.file);
  const never = () => {
    throw new Error("a hostile request must not get this far");
  };
  const packages = new PackageService({
    config,
    whitelist: new WhitelistSources(config.whitelist),
    audit,
    python: { validateSkill: (s: unknown) => s, withSkill: never } as unknown as PythonEnvironment,
    scan: never,
  } as unknown as ServiceDeps);
  tool = createToolFactories(async () => ({ packages }) as unknown as Services).installPackage({ agentId: "main" });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const nested = (depth: number, leaf: unknown = "pandas"): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

describe("tool parameters an agent shapes to break the recorder still produce a record", () => {
  it.each([
    ["an array nested 100,000 deep", nested(100_000)],
    ["an object nested 10,000 deep", JSON.parse(`${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`)],
    ["an object whose toString is not a function", { toString: "x", valueOf: "y" }],
    ["a 1 MB string", `pandas${"x".repeat(1024 * 1024)}`],
  ])("%s: refused with a code, and recorded as blocked with a bounded excerpt", async (_what, value) => {
    const error = await tool.execute("call-1", { package: value, skill: "s" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INVALID_REQUIREMENT" });
    const records = await audit.query({ limit: 10 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      source: "tool",
      status: "blocked",
      agentId: "main",
      code: "INVALID_REQUIREMENT",
    });
    expect(records[0]!.requested!.length).toBeLessThanOrEqual(256);
    expect(records[0]!.requestedSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await audit.verify()).toMatchObject({ ok: true, records: 1 });
  });
});
