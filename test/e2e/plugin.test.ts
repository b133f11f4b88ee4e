import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayClient } from "../helpers/gateway-client.js";
import { startGateway, type Gateway } from "../helpers/gateway.js";
import { toolConfig } from "../helpers/tool-paths.js";

// One real gateway for the whole file (~1 GB, ~20 s to start): the plugin is loaded from the built package.
let gateway: Gateway;
let reader: GatewayClient;
let admin: GatewayClient;

beforeAll(async () => {
  gateway = await startGateway({
    agents: ["main", "junior", "research"],
    pluginConfig: {
      defaultMaturity: "student",
      agents: { junior: "student", research: "autonomous" },
      python: toolConfig(),
    },
  });
  reader = await gateway.connect(["operator.read"]);
  admin = await gateway.connect(["operator.admin", "operator.read", "operator.write", "operator.approvals"]);
});

afterAll(async () => {
  await gateway?.stop();
});

describe("the plugin in a real gateway", () => {
  it("loads: the gateway lists package-guard among its plugins", async () => {
    const health = await reader.call<{ plugins?: { loaded?: string[] } }>("health");
    expect(health.ok).toBe(true);
    if (health.ok) expect(health.payload.plugins?.loaded).toContain("package-guard");
  });

  it("packages.whitelist.list answers a read-scoped client with the tier and everything below it", async () => {
    const student = await reader.call<{ package: string }[]>("packages.whitelist.list", {});
    const supervised = await reader.call<{ package: string; maturity: string }[]>("packages.whitelist.list", { maturity: "supervised" });
    expect(student.ok && supervised.ok).toBe(true);
    if (!student.ok || !supervised.ok) return;
    expect(student.payload.map((e) => e.package).sort()).toEqual(["numpy", "pandas"]);
    expect(supervised.payload.map((e) => e.package).sort()).toEqual(["beautifulsoup4", "numpy", "pandas", "requests", "scikit-learn"]);
  });

  it("rejects a bad maturity parameter with INVALID_REQUEST", async () => {
    const r = await reader.call("packages.whitelist.list", { maturity: "root" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("INVALID_REQUEST");
  });

  it("list_packages shows each agent what its own configured maturity allows", async () => {
    const junior = await gateway.invokeTool("list_packages", {}, { agentId: "junior" });
    expect(junior.status).toBe(200);
    const juniorView = junior.body.result?.details as { maturity: string; packages: { package: string }[] };
    expect(juniorView.maturity).toBe("student");
    expect(juniorView.packages.map((p) => p.package).sort()).toEqual(["numpy", "pandas"]);

    const research = await gateway.invokeTool("list_packages", { category: "ml" }, { agentId: "research" });
    const researchView = research.body.result?.details as { maturity: string; packages: { package: string; requires_approval: boolean }[] };
    expect(researchView.maturity).toBe("autonomous");
    expect(researchView.packages.map((p) => [p.package, p.requires_approval]).sort()).toEqual([
      ["scikit-learn", false],
      ["torch", true],
      ["transformers", true],
    ]);
    expect(research.body.result?.content[0]?.text).toContain("torch");
  });

  it("an agent cannot claim another maturity through the tool's arguments", async () => {
    const r = await gateway.invokeTool("list_packages", { maturity: "autonomous" }, { agentId: "junior" });
    const view = r.body.result?.details as { maturity: string } | undefined;
    expect(view?.maturity ?? "student").toBe("student");
  });

  it("packages.doctor reports the tools it found", async () => {
    const r = await reader.call<{ tools: { name: string; ok: boolean; version: string | null }[] }>("packages.doctor");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const byName = Object.fromEntries(r.payload.tools.map((t) => [t.name, t]));
    expect(byName.uv?.ok).toBe(true);
    expect(byName.uv?.version).toMatch(/\d+\.\d+/);
    expect(byName.python?.ok).toBe(true);
  });

  it("a read-scoped client cannot call an admin method; an admin client can", async () => {
    const entry = { package: "tinycalc", version: ">=1,<2", category: "demo" };
    const denied = await reader.call("packages.whitelist.add", { entry: { ...entry, maturity: "student" } });
    expect(denied.ok).toBe(false);
    if (!denied.ok) expect(denied.error).toMatchObject({ code: "FORBIDDEN", message: "missing scope: operator.admin" });

    const added = await admin.call<{ package: string }>("packages.whitelist.add", { entry: { ...entry, maturity: "student" } });
    expect(added.ok).toBe(true);
    const after = await reader.call<{ package: string }[]>("packages.whitelist.list", {});
    if (after.ok) expect(after.payload.map((e) => e.package)).toContain("tinycalc");
  });
});
