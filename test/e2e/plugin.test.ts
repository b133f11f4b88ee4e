import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayClient } from "../helpers/gateway-client.js";
import { startGateway, type Gateway } from "../helpers/gateway.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../helpers/package-index.js";
import { REPO_ROOT } from "../helpers/repo-root.js";
import { toolConfig } from "../helpers/tool-paths.js";

const run = promisify(execFile);

// One real gateway for the whole file (~1 GB, ~20 s to start): the plugin is loaded from the built package.
let gateway: Gateway;
let reader: GatewayClient;
let admin: GatewayClient;
let index: PackageIndex;

beforeAll(async () => {
  index = await startPackageIndex({ packages: DEMO_PACKAGES });
  gateway = await startGateway({
    agents: ["main", "junior", "research"],
    pluginConfig: {
      defaultMaturity: "student",
      agents: { junior: "student", research: "autonomous" },
      // datakit needs approval at autonomous (a stand-in for torch, which the local index does not carry).
      whitelist: {
        tiers: {
          student: [{ package: "pyyaml", version: ">=5.1,<7" }],
          autonomous: [{ package: "datakit", version: ">=1,<2", requires_approval: true }],
        },
      },
      python: toolConfig(),
      index: { url: index.url },
      scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
    },
  });
  reader = await gateway.connect(["operator.read"]);
  admin = await gateway.connect(["operator.admin", "operator.read", "operator.write", "operator.approvals"]);
});

afterAll(async () => {
  await gateway?.stop();
  await index?.close();
});

describe("the plugin in a real gateway", () => {
  it("loads: the gateway lists package-guard among its plugins", async () => {
    const health = await reader.call<{ plugins?: { loaded?: string[] } }>("health");
    expect(health).toMatchObject({
      ok: true,
      payload: { plugins: { loaded: expect.arrayContaining(["package-guard"]) } },
    });
  });

  it("packages.whitelist.list answers a read-scoped client with the tier and everything below it", async () => {
    const student = await reader.call<{ package: string }[]>("packages.whitelist.list", {});
    const supervised = await reader.call<{ package: string; maturity: string }[]>("packages.whitelist.list", {
      maturity: "supervised",
    });
    expect(student.ok && supervised.ok).toBe(true);
    if (!student.ok || !supervised.ok) return;
    expect(student.payload.map((e) => e.package).toSorted()).toEqual(["numpy", "pandas", "pyyaml"]);
    expect(supervised.payload.map((e) => e.package).toSorted()).toEqual([
      "beautifulsoup4",
      "numpy",
      "pandas",
      "pyyaml",
      "requests",
      "scikit-learn",
    ]);
  });

  it("rejects a bad maturity parameter with INVALID_REQUEST", async () => {
    const r = await reader.call("packages.whitelist.list", { maturity: "root" });
    expect(r).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST" } });
  });

  it("list_packages shows each agent what its own configured maturity allows", async () => {
    const junior = await gateway.invokeTool("list_packages", {}, { agentId: "junior" });
    expect(junior.status).toBe(200);
    const juniorView = junior.body.result?.details as { maturity: string; packages: { package: string }[] };
    expect(juniorView.maturity).toBe("student");
    expect(juniorView.packages.map((p) => p.package).toSorted()).toEqual(["numpy", "pandas", "pyyaml"]);

    const research = await gateway.invokeTool("list_packages", { category: "ml" }, { agentId: "research" });
    const researchView = research.body.result?.details as {
      maturity: string;
      packages: { package: string; requires_approval: boolean }[];
    };
    expect(researchView.maturity).toBe("autonomous");
    expect(
      researchView.packages
        .filter((p) => p.package !== "datakit")
        .map((p) => [p.package, p.requires_approval])
        .toSorted(),
    ).toEqual([
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
    expect(denied).toMatchObject({ ok: false, error: { code: "FORBIDDEN", message: "missing scope: operator.admin" } });

    const added = await admin.call<{ package: string }>("packages.whitelist.add", {
      entry: { ...entry, maturity: "student" },
    });
    expect(added.ok).toBe(true);
    const after = await reader.call<{ package: string }[]>("packages.whitelist.list", {});
    expect(after).toMatchObject({
      ok: true,
      payload: expect.arrayContaining([expect.objectContaining({ package: "tinycalc" })]),
    });
    // It takes effect for the very next tool call, without a restart.
    const installed = await gateway.invokeTool(
      "install_package",
      { package: "tinycalc", skill: "calc" },
      { agentId: "junior" },
    );
    expect(installed.status, JSON.stringify(installed.body)).toBe(200);
    expect(installed.body.result?.details).toMatchObject({ package: "tinycalc", version: "1.1.0" });
  });
});

describe("installs through the real gateway", () => {
  it(
    "install_package puts an allowed package and its dependencies into the skill's venv, inside the whitelist " +
      "ranges",
    async () => {
      const r = await gateway.invokeTool(
        "install_package",
        { package: "pandas>=2,<3", skill: "data-viz" },
        { agentId: "junior" },
      );
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const result = r.body.result?.details as {
        package: string;
        version: string;
        python: string;
        dependencies: { name: string; version: string }[];
        resources: { skill: { maxMemoryMb: number } };
      };
      expect(result).toMatchObject({ package: "pandas", version: "2.2.3" });
      // pandas asks for numpy>=1.26; the whitelist caps numpy below 2, so 1.26.4 and not 2.1.0.
      expect(result.dependencies).toContainEqual({ name: "numpy", version: "1.26.4" });
      expect(result.resources.skill.maxMemoryMb).toBe(512);
      const { stdout } = await run(result.python, [
        "-c",
        "import pandas, numpy; print(pandas.__version__, numpy.__version__)",
      ]);
      expect(stdout.trim()).toBe("2.2.3 1.26.4");

      const installed = await reader.call<{ package: string; version: string; skill: string; direct: boolean }[]>(
        "packages.installed",
        { skill: "data-viz" },
      );
      expect(installed.ok && installed.payload.map((p) => [p.package, p.version, p.direct]).toSorted()).toEqual([
        ["numpy", "1.26.4", false],
        ["pandas", "2.2.3", true],
      ]);
    },
  );

  it("a denial reaches the agent with its code, and is in the audit log", async () => {
    const r = await gateway.invokeTool(
      "install_package",
      { package: "requests", skill: "data-viz" },
      { agentId: "junior" },
    );
    expect(r.body.ok).toBe(false);
    expect(JSON.stringify(r.body)).toContain("NOT_WHITELISTED");
    const vulnerable = await gateway.invokeTool(
      "install_package",
      { package: "pyyaml==5.3", skill: "config" },
      { agentId: "junior" },
    );
    expect(JSON.stringify(vulnerable.body)).toContain("VULNERABLE");
    const records = await reader.call<
      { status: string; code: string | null; package: string | null; agentId: string | null; source: string }[]
    >("packages.installations", { limit: 5, agentId: "junior" });
    expect(records.ok).toBe(true);
    if (!records.ok) return;
    expect(records.payload.slice(0, 2).map((x) => [x.source, x.status, x.code, x.package])).toEqual([
      ["tool", "blocked", "VULNERABLE", "pyyaml"],
      ["tool", "blocked", "NOT_WHITELISTED", "requests"],
    ]);
    const verify = await reader.call<{ ok: boolean; records: number }>("packages.audit.verify");
    expect(verify.ok && verify.payload.ok).toBe(true);
  });

  it("the gateway log has one line per decision; a missing skill: 'the skill id is required' (14.10)", async () => {
    const noSkill = await gateway.invokeTool("install_package", { package: "pyyaml" }, { agentId: "junior" });
    expect(noSkill.body.ok).toBe(false);
    expect(JSON.stringify(noSkill.body)).toContain("The skill id is required");
    const records = await reader.call<{ reason: string | null; code: string | null }[]>("packages.installations", {
      limit: 1,
      agentId: "junior",
    });
    expect(records.ok && records.payload[0]).toMatchObject({
      code: "INVALID_REQUIREMENT",
      reason: expect.stringMatching(/^The skill id is required/),
    });
    const log = await gateway.log();
    expect(log).toContain(
      "package-guard: decision tool agent=junior skill=data-viz package=requests outcome=blocked code=NOT_WHITELISTED",
    );
    expect(log).toContain("package-guard: decision tool agent=junior skill=- package=pyyaml outcome=blocked");
    expect(log).toMatch(
      /package-guard: decision tool agent=junior skill=data-viz package=pandas==2\.2\.3 outcome=completed/,
    );
  });

  it("approval flow: APPROVAL_REQUIRED with an id, an operator approves over RPC, the retry installs", async () => {
    const first = await gateway.invokeTool(
      "install_package",
      { package: "datakit", skill: "pipeline" },
      { agentId: "research" },
    );
    expect(first.body.ok).toBe(false);
    const pending = await reader.call<{ id: string; package: string; agentId: string; skill: string }[]>(
      "packages.approvals.list",
      { status: "pending" },
    );
    expect(pending.ok).toBe(true);
    if (!pending.ok) return;
    const approval = pending.payload.find((a) => a.package === "datakit")!;
    expect(approval).toMatchObject({ agentId: "research", skill: "pipeline" });
    expect(JSON.stringify(first.body)).toContain(approval.id);

    const denied = await reader.call("packages.approvals.resolve", { id: approval.id, decision: "approve" });
    expect(denied).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });

    const resolved = await admin.call("packages.approvals.resolve", {
      id: approval.id,
      decision: "approve",
      ttlHours: 1,
      note: "e2e",
    });
    expect(resolved.ok).toBe(true);
    const retry = await gateway.invokeTool(
      "install_package",
      { package: "datakit", skill: "pipeline" },
      { agentId: "research" },
    );
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.body.result?.details).toMatchObject({ package: "datakit", version: "1.0.0" });
    // The grant is for that skill only.
    const elsewhere = await gateway.invokeTool(
      "install_package",
      { package: "datakit", skill: "other" },
      { agentId: "research" },
    );
    expect(JSON.stringify(elsewhere.body)).toContain("APPROVAL_REQUIRED");
  });

  it("packages.uninstall removes the package and what only it needed", async () => {
    const r = await admin.call<{ removed: string[] }>("packages.uninstall", { package: "pandas", skill: "data-viz" });
    expect(r.ok && r.payload.removed.toSorted()).toEqual(["numpy", "pandas"]);
  });
});
