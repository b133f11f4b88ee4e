import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";
import { registerGatewayMethods } from "../../../src/surfaces/gateway.js";
import { installRequestParams } from "../../../src/surfaces/params.js";

type Respond = (ok: boolean, payload?: unknown, error?: { code: string; message: string; details?: unknown }) => void;
type Handler = (opts: { params: Record<string, unknown>; respond: Respond; client: unknown }) => Promise<void>;

let dir: string;
let services: Services;
const handlers = new Map<string, Handler>();

const call = async (method: string, params: Record<string, unknown>) => {
  const respond = vi.fn<Respond>();
  await handlers.get(method)!({ params, respond, client: null });
  const [ok, payload, error] = respond.mock.calls[0]!;
  return { ok, payload, error };
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-seed-"));
  services = await openServices(parseConfig({ agents: { junior: "student" } }, dir), {
    runner: async () => {
      throw new Error("a refused request must not run any process");
    },
  });
  registerGatewayMethods(
    (method, handler) => handlers.set(method, handler as Handler),
    async () => services,
  );
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the seed's request shape on packages.install (issue 14.3)", () => {
  it("reads package_name, version_constraint and skill_id; agent_maturity is audited, never used", async () => {
    // requests is approved at intern: a student agent claiming "autonomous" is still a student.
    const r = await call("packages.install", {
      package_name: "requests",
      version_constraint: ">=2.0.0",
      skill_id: "skill-abc",
      agent_maturity: "autonomous",
      agentId: "junior",
    });
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ details: { code: "NOT_WHITELISTED" } });
    expect(r.error?.message).toContain("not approved for student agents");
    const [record] = await services.operator.installations({ limit: 1 });
    expect(record).toMatchObject({
      status: "blocked",
      code: "NOT_WHITELISTED",
      maturity: "student",
      requested: "requests",
      skillId: "skill-abc",
      details: expect.objectContaining({ claimedMaturity: "autonomous" }),
    });
  });

  it("maps both spellings to one request, refuses two that disagree, and bounds the claim", () => {
    expect(
      installRequestParams({ package_name: "pandas", version_constraint: ">=2", skill_id: "s", agent_maturity: 3 }),
    ).toEqual({ package: "pandas", version: ">=2", skill: "s", claimedMaturity: "3" });
    expect(installRequestParams({ package: "pandas", package_name: "pandas", skill: "s" })).toEqual({
      package: "pandas",
      skill: "s",
    });
    expect(() => installRequestParams({ package: "pandas", package_name: "torch", skill: "s" })).toThrow(
      /'package' and 'package_name' disagree/,
    );
    expect(installRequestParams({ package: "p", skill: "s", agent_maturity: "x".repeat(500) }).claimedMaturity).toBe(
      "x".repeat(64),
    );
  });
});
