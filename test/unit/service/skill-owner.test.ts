import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { installGate } from "../../../src/service/services.js";
import { createBeforeInstallHandler } from "../../../src/surfaces/hooks.js";
import { decideInstallPolicy } from "../../../src/surfaces/install-policy.js";
import { serviceHarness, type ServiceHarness } from "./harness.js";

/*
 * Issue 13 item 17: skill ids come from names many-to-one ("Data Viz", "DATA   VIZ!!" and "data-viz" are one id);
 * a venv belongs to exactly one OpenClaw skill (its exact name), and a colliding newcomer is refused.
 */
let h: ServiceHarness | undefined;
afterEach(async () => h?.cleanup());

const open = () =>
  serviceHarness({
    catalogue: [
      { name: "tinycalc", version: "1.0.0" },
      { name: "pyyaml", version: "6.0.2" },
    ],
    block: { whitelist: { tiers: { student: [{ package: "tinycalc" }, { package: "pyyaml" }] } } },
  });

const skillDir = async (folder: string, name: string, dependency: string): Promise<string> => {
  const dir = join(h!.root, "skills-src", folder);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "SKILL.md"),
    `---\nname: ${name}\ndependencies:\n  python:\n    - package: ${dependency}\n---\n`,
  );
  return dir;
};

const policy = async (dir: string, targetName: string) =>
  decideInstallPolicy(
    JSON.stringify({
      protocolVersion: 1,
      targetType: "skill",
      targetName,
      sourcePath: dir,
      sourcePathKind: "directory",
    }),
    async () => installGate(h!.services),
  );

describe("one venv belongs to one OpenClaw skill", () => {
  it("install-policy: a second skill whose name maps to the same id is blocked; the owner is not", async () => {
    h = await open();
    const first = await policy(await skillDir("data-viz", "data-viz", "tinycalc"), "data-viz");
    expect(first.decision).toBe("allow");
    const newcomer = await policy(await skillDir("evil", "Data   Viz!!", "pyyaml"), "evil");
    expect(newcomer.decision).toBe("block");
    expect(newcomer.reason).toContain(
      "Skill 'Data   Viz!!' maps to the virtualenv 'data-viz', which belongs to the skill 'data-viz'",
    );
    // The owner itself (an update of the same skill) still passes.
    expect((await policy(await skillDir("data-viz-2", "data-viz", "pyyaml"), "data-viz")).decision).toBe("allow");
    const vets = await h.services.operator.installations({ limit: 10, status: "blocked" });
    expect(vets[0]).toMatchObject({ skillId: "data-viz", code: "INVALID_REQUIREMENT" });
  });

  it("the hook never pre-installs a newcomer's dependencies into another skill's venv", async () => {
    h = await open();
    const logs: string[] = [];
    const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
    const hook = createBeforeInstallHandler({ getService: async () => installGate(h!.services), logger });
    const event = (dir: string, targetName: string) => ({
      targetType: "skill",
      targetName,
      sourcePath: dir,
      sourcePathKind: "directory",
      origin: "skill-upload",
    });
    expect(await hook(event(await skillDir("data-viz", "data-viz", "tinycalc"), "data-viz"))).toBeUndefined();
    await expect
      .poll(() => h!.services.operator.installed("data-viz").then((l) => l.map((p) => p.package)))
      .toEqual(["tinycalc"]);
    const blocked = await hook(event(await skillDir("evil", "DATA   VIZ!!", "pyyaml"), "evil"));
    expect(blocked).toMatchObject({ block: true });
    // Even a pre-install asked for directly (a vet that raced the other skill's) is refused inside the skill's lock.
    const [outcome] = await h.services.packages.preinstallSkill(
      "data-viz",
      ["pyyaml"],
      { source: "hook", agentId: null, client: "test" },
      "DATA   VIZ!!",
    );
    expect(outcome?.error).toMatchObject({ code: "INVALID_REQUIREMENT", details: { reason: "skill-owner" } });
    expect((await h.services.operator.installed("data-viz")).map((p) => p.package)).toEqual(["tinycalc"]);
  });
});
