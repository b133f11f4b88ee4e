import { afterEach, describe, expect, it } from "vitest";
import { isPackageGuardError } from "../../../src/errors.js";
import { serviceHarness, type ServiceHarness } from "./harness.js";

/*
 * Issue 13 item 19 (checks that only e2e tests, or none, would notice if they were broken) and item 13 (installed
 * reports what an override let in). Each expectation is written out, not computed by the code under test.
 */
let h: ServiceHarness | undefined;
afterEach(async () => h?.cleanup());

const denial = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    if (isPackageGuardError(error)) return { code: error.code, message: error.message, details: error.details ?? {} };
    throw error;
  }
  throw new Error("expected a denial");
};

const syncs = () => h!.calls.filter((c) => c.file === h!.uv && c.args[1] === "sync");

describe("approval enforcement on install", () => {
  it("an entry that requires approval installs only with a live grant for that agent, skill and range", async () => {
    h = await serviceHarness({
      catalogue: [{ name: "paramiko", version: "3.4.0" }],
      block: {
        agents: { junior: "student", other: "student" },
        whitelist: { tiers: { student: [{ package: "paramiko", version: ">=3,<4", requires_approval: true }] } },
      },
    });
    const junior = { source: "tool" as const, agentId: "junior" };
    const first = await denial(h.services.packages.install({ package: "paramiko", skill: "ops" }, junior));
    expect(first.code).toBe("APPROVAL_REQUIRED");
    expect(syncs()).toEqual([]);
    const id = first.details.approvalId as string;
    expect(await h.services.operator.approvalsList("pending")).toEqual([
      expect.objectContaining({ id, agentId: "junior", skill: "ops", package: "paramiko", specifier: ">=3,<4" }),
    ]);
    // Denied: still refused, and nothing is installed.
    await h.services.operator.approvalsResolve(id, "deny", {}, { source: "cli", client: "op" });
    expect((await denial(h.services.packages.install({ package: "paramiko", skill: "ops" }, junior))).code).toBe(
      "APPROVAL_REQUIRED",
    );
    const again = (await h.services.operator.approvalsList("pending"))[0]!;
    await h.services.operator.approvalsResolve(again.id, "approve", {}, { source: "cli", client: "op" });
    // The grant is for junior in skill ops only.
    const other = { source: "tool" as const, agentId: "other" };
    expect((await denial(h.services.packages.install({ package: "paramiko", skill: "ops" }, other))).code).toBe(
      "APPROVAL_REQUIRED",
    );
    expect((await denial(h.services.packages.install({ package: "paramiko", skill: "web" }, junior))).code).toBe(
      "APPROVAL_REQUIRED",
    );
    expect(syncs()).toEqual([]);
    const ok = await h.services.packages.install({ package: "paramiko", skill: "ops" }, junior);
    expect([ok.package, ok.version]).toEqual(["paramiko", "3.4.0"]);
    const [record] = await h.services.operator.installations({ limit: 1 });
    expect(record).toMatchObject({ status: "completed", agentId: "junior", details: { approvalId: again.id } });
  });
});

describe("the hook's pre-install uses hooks.maturity", () => {
  it("a vetted skill's dependency is pre-installed inside the hooks.maturity range, not a wider tier's", async () => {
    h = await serviceHarness({
      catalogue: [
        { name: "tinycalc", version: "1.0.0" },
        { name: "tinycalc", version: "2.0.0" },
      ],
      block: {
        hooks: { maturity: "student" },
        whitelist: {
          tiers: {
            student: [{ package: "tinycalc", version: "==1.0.0" }],
            autonomous: [{ package: "tinycalc", version: ">=1" }],
          },
        },
      },
    });
    const [outcome] = await h.services.packages.preinstallSkill("calc", ["tinycalc"], {
      source: "hook",
      agentId: null,
      client: "before_install:skill-upload",
    });
    expect(outcome?.error).toBeUndefined();
    expect([outcome?.result?.package, outcome?.result?.version]).toEqual(["tinycalc", "1.0.0"]);
    const compile = h.calls.find((c) => c.file === h!.uv && c.args[1] === "compile")!;
    expect(Object.values(compile.files)).toEqual(["tinycalc==1.0.0\n"]);
    const [record] = await h.services.operator.installations({ limit: 1 });
    expect(record).toMatchObject({ status: "completed", source: "hook", maturity: "student", version: "1.0.0" });
  });
});

describe("the installed set is checked against the pins", () => {
  it("an installer leaving anything but exactly the scanned pins fails the install, which is rolled back", async () => {
    h = await serviceHarness({
      catalogue: [
        { name: "tinycalc", version: "1.0.0" },
        { name: "pyyaml", version: "6.0.2" },
      ],
      block: { whitelist: { tiers: { student: [{ package: "tinycalc" }, { package: "pyyaml" }] } } },
      // A broken (or subverted) installer: asked for pyyaml 6.0.2, it puts 5.3 in and adds an unscanned package.
      fake: {
        installs: (pins) =>
          pins.includes("pyyaml==6.0.2") ? pins.replace("pyyaml==6.0.2", "pyyaml==5.3") + "evil==1.0\n" : pins,
      },
    });
    const caller = { source: "cli" as const, client: "cli" };
    await h.services.packages.install({ package: "tinycalc", skill: "s1" }, caller);
    const d = await denial(h.services.packages.install({ package: "pyyaml", skill: "s1" }, caller));
    expect(d.code).toBe("INSTALL_FAILED");
    expect(d.details).toMatchObject({
      reason: "verify",
      rolledBack: true,
      problems: ["pyyaml is 5.3, expected 6.0.2", "evil 1.0 should not be there"],
    });
    expect((await h.services.operator.installed("s1")).map((p) => `${p.package}==${p.version}`)).toEqual([
      "tinycalc==1.0.0",
    ]);
  });
});

describe("installed reports what an override let in", () => {
  it("a pin installed under an operator override counts its advisories", async () => {
    h = await serviceHarness({
      catalogue: [
        { name: "legacyparse", version: "0.9.0" },
        { name: "tinycalc", version: "1.0.0" },
      ],
      advisories: [{ id: "PYSEC-2099-11", package: "legacyparse", versions: ["0.9.0"] }],
      block: { whitelist: { tiers: { student: [{ package: "legacyparse" }, { package: "tinycalc" }] } } },
    });
    const caller = { source: "cli" as const, client: "cli" };
    expect((await denial(h.services.packages.install({ package: "legacyparse", skill: "etl" }, caller))).code).toBe(
      "VULNERABLE",
    );
    await h.services.operator.overridesAdd(
      {
        skill: "etl",
        package: "legacyparse",
        version: "0.9.0",
        advisories: ["PYSEC-2099-11"],
        reason: "trusted input only",
        expires: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
      },
      { source: "cli", client: "op" },
    );
    await h.services.packages.install({ package: "legacyparse", skill: "etl" }, caller);
    await h.services.packages.install({ package: "tinycalc", skill: "etl" }, caller);
    expect(
      (await h.services.operator.installed("etl")).map((p) => [p.package, p.vulnerabilitiesFound, p.vulnerabilities]),
    ).toEqual([
      ["legacyparse", 1, ["PYSEC-2099-11"]],
      ["tinycalc", 0, undefined],
    ]);
  });
});
