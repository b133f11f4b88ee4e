import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayClient } from "../helpers/gateway-client.js";
import { startGateway, type Gateway } from "../helpers/gateway.js";
import { REPO_ROOT } from "../helpers/repo-root.js";
import { uploadAndInstallSkill } from "../helpers/skill-upload.js";

/*
 * Issue 14.4 on a real gateway: a plugin block with mistakes in it must leave the gateway running with the guard
 * CLOSED (every surface refuses installs and names each problem with its JSON path), never stop the gateway (which
 * invites `openclaw doctor --fix`, and that disables the plugin and deletes its block) nor load it without a guard.
 */
const BAD_BLOCK = { defaultMaturity: "root", scan: { cacheTtlHours: -1 }, pythn: {} };
const PROBLEMS = ["/defaultMaturity", "/scan/cacheTtlHours", "pythn"];

let gateway: Gateway;
let admin: GatewayClient;

beforeAll(async () => {
  gateway = await startGateway({
    agents: ["main"],
    pluginConfig: BAD_BLOCK,
    extraConfig: { skills: { install: { allowUploadedArchives: true } } },
  });
  admin = await gateway.connect(["operator.admin", "operator.read", "operator.write", "operator.approvals"]);
});

afterAll(async () => {
  await gateway?.stop();
});

describe("a bad plugin block closes the guard; the gateway keeps running", () => {
  it("the gateway starts and package-guard is loaded (not skipped, not failed)", async () => {
    const health = await admin.call<{ plugins?: { loaded?: string[] } }>("health");
    expect(health).toMatchObject({
      ok: true,
      payload: { plugins: { loaded: expect.arrayContaining(["package-guard"]) } },
    });
  });

  it("install_package answers CONFIG_INVALID naming each problem and its JSON path", async () => {
    const r = await gateway.invokeTool("install_package", { package: "pyyaml", skill: "s1" }, { agentId: "main" });
    expect(r.body.ok).toBe(false);
    const text = JSON.stringify(r.body);
    expect(text).toContain("[CONFIG_INVALID] package-guard is closed");
    for (const p of PROBLEMS) expect(text).toContain(p);
    const list = await gateway.invokeTool("list_packages", {}, { agentId: "main" });
    expect(JSON.stringify(list.body)).toContain("CONFIG_INVALID");
  });

  it("gateway methods refuse with CONFIG_INVALID; packages.doctor reports each problem with its fix", async () => {
    const install = await admin.call("packages.install", { package: "pyyaml", skill: "s1" });
    expect(install).toMatchObject({
      ok: false,
      error: { code: "INVALID_REQUEST", details: { code: "CONFIG_INVALID" } },
    });
    const doctor = await admin.call<{
      ok: boolean;
      configValid: boolean;
      checks: { status: string; detail: string }[];
    }>("packages.doctor");
    expect(doctor.ok).toBe(true);
    if (!doctor.ok) return;
    expect(doctor.payload).toMatchObject({ ok: false, configValid: false });
    const details = doctor.payload.checks.map((c) => c.detail).join("\n");
    for (const p of PROBLEMS) expect(details).toContain(p);
  });

  it("the before_install hook blocks a skill whose dependencies it cannot judge", async () => {
    const skill =
      "---\nname: closed-demo\ndescription: closed guard e2e\n" +
      "dependencies:\n  python:\n    - package: pyyaml\n---\n# x\n";
    const r = await uploadAndInstallSkill(admin, "closed-demo", { "SKILL.md": skill });
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).toContain("CONFIG_INVALID");
  });

  it("install-policy on the same configuration answers block, naming the problems", async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        [
          join(REPO_ROOT, "bin", "package-guard.mjs"),
          "install-policy",
          "--config",
          join(gateway.stateDir, "openclaw.json"),
        ],
        { timeout: 60_000 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
      child.stdin?.end(
        JSON.stringify({
          protocolVersion: 1,
          targetType: "skill",
          targetName: "x",
          sourcePath: gateway.stateDir,
          sourcePathKind: "directory",
        }),
      );
    });
    const decision = JSON.parse(out) as { decision: string; reason: string };
    expect(decision.decision).toBe("block");
    for (const p of PROBLEMS) expect(decision.reason).toContain(p);
  });

  it("the startup log says the guard is closed and what to fix", async () => {
    const log = await gateway.log();
    expect(log).toContain("package-guard is closed");
    for (const p of PROBLEMS) expect(log).toContain(p);
  });
});
