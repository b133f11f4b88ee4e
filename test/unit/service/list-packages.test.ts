import { afterEach, describe, expect, it } from "vitest";
import { createToolFactories } from "../../../src/surfaces/tools.js";
import { serviceHarness, type ServiceHarness } from "./harness.js";

/*
 * Issue 13 item 19: list_packages claims a maturity and a list; both come from the calling agent's configured
 * maturity (the host's tool context), whatever the arguments say. Real services, whitelist written out here.
 */
let h: ServiceHarness | undefined;
afterEach(async () => h?.cleanup());

describe("list_packages through the real services", () => {
  it("shows exactly what the calling agent's configured maturity may install, and says which maturity", async () => {
    h = await serviceHarness({
      block: {
        defaultMaturity: "student",
        agents: { junior: "student", lead: "supervised" },
        whitelist: {
          includeDefault: false,
          tiers: {
            student: [{ package: "tinycalc", version: "<2", category: "math" }],
            intern: [{ package: "pyyaml", category: "formats" }],
            supervised: [{ package: "paramiko", requires_approval: true, category: "network" }],
            autonomous: [{ package: "docker", category: "ops" }],
          },
        },
      },
    });
    const tools = createToolFactories(async () => h!.services);
    // A student agent claiming a higher maturity in the arguments gets the student list.
    const junior = await tools.listPackages({ agentId: "junior" }).execute("c1", { maturity: "autonomous" } as never);
    expect(junior.details.maturity).toBe("student");
    expect(junior.details.packages.map((p) => p.package)).toEqual(["tinycalc"]);
    expect(junior.content[0]!.text).toBe(
      "PyPI packages approved for student agents (install with install_package):\n- tinycalc <2 [math]",
    );
    const lead = await tools.listPackages({ agentId: "lead" }).execute("c2", {});
    expect(lead.details.maturity).toBe("supervised");
    expect(lead.details.packages.map((p) => [p.package, p.requires_approval])).toEqual([
      ["paramiko", true],
      ["pyyaml", false],
      ["tinycalc", false],
    ]);
    // No agent id (or an unknown one): the default maturity.
    const nobody = await tools.listPackages({}).execute("c3", {});
    expect(nobody.details.maturity).toBe("student");
    expect(nobody.details.packages.map((p) => p.package)).toEqual(["tinycalc"]);
  });
});
