import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type Gateway } from "../helpers/gateway.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../helpers/package-index.js";
import { REPO_ROOT } from "../helpers/repo-root.js";
import { toolConfig } from "../helpers/tool-paths.js";

/*
 * The gateway process is SIGKILLed in the middle of an install (its journal is on disk, uv is running) and
 * started again on the same state dir: the interrupted attempt is rolled back and recorded, the skill's venv
 * holds its previous set, and the audit chain verifies.
 */
let work: string;
let index: PackageIndex;
let gateway: Gateway | undefined;

const options = () => ({
  workDir: work,
  agents: ["main", "junior"],
  pluginConfig: {
    agents: { junior: "student" },
    python: toolConfig(),
    index: { url: index.url },
    scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
  },
});

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pg-restart-"));
  // Every index response waits, so the install is still running when the gateway is killed.
  index = await startPackageIndex({ packages: DEMO_PACKAGES, delayMs: 400 });
});
afterAll(async () => {
  await gateway?.stop();
  await index?.close();
  await rm(work, { recursive: true, force: true });
});

describe("gateway killed mid-install", () => {
  it("rolls the interrupted install back at the next start and records it", async () => {
    gateway = await startGateway(options());
    const first = await gateway.invokeTool(
      "install_package",
      { package: "numpy", skill: "crashy" },
      { agentId: "junior" },
    );
    expect(first.status, JSON.stringify(first.body)).toBe(200);

    const pending = join(gateway.stateDir, "package-guard", "skills", "crashy", "pending.json");
    const request = gateway
      .invokeTool("install_package", { package: "pandas", skill: "crashy" }, { agentId: "junior" })
      .catch((e: unknown) => e);
    const deadline = Date.now() + 60_000;
    while (!existsSync(pending) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(pending), "the install never reached its journal").toBe(true);
    await gateway.crash();
    await request;

    gateway = await startGateway(options());
    const reader = await gateway.connect(["operator.read"]);
    // Recovery runs in the plugin's service start; give it a moment after "ready".
    let records: { status: string; skillId: string | null; package: string | null }[] = [];
    for (let i = 0; i < 60 && !records.some((r) => r.status === "interrupted"); i++) {
      const r = await reader.call<typeof records>("packages.installations", { limit: 20, skill: "crashy" });
      records = r.ok ? r.payload : [];
      if (!records.some((x) => x.status === "interrupted")) await new Promise((res) => setTimeout(res, 500));
    }
    expect(records.find((r) => r.status === "interrupted")).toMatchObject({ skillId: "crashy", package: "pandas" });
    expect(existsSync(pending)).toBe(false);
    const installed = await reader.call<{ package: string; version: string }[]>("packages.installed", {
      skill: "crashy",
    });
    expect(installed.ok && installed.payload.map((p) => `${p.package}==${p.version}`)).toEqual(["numpy==1.26.4"]);
    const verify = await reader.call<{ ok: boolean }>("packages.audit.verify");
    expect(verify.ok && verify.payload.ok).toBe(true);

    // The skill works again: the same install now goes through.
    const again = await gateway.invokeTool(
      "install_package",
      { package: "pandas", skill: "crashy" },
      { agentId: "junior" },
    );
    expect(again.status, JSON.stringify(again.body)).toBe(200);
  });
});
