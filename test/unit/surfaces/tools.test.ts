import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { PackageGuardError } from "../../../src/errors.js";
import type { OperatorService } from "../../../src/service/operator.js";
import type { PackageService } from "../../../src/service/pipeline.js";
import type { Services } from "../../../src/service/services.js";
import { createToolFactories, TOOL_NAMES } from "../../../src/surfaces/tools.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "openclaw.plugin.json"), "utf8")) as {
  contracts: { tools: string[] };
};

const factories = (service: Partial<Record<keyof PackageService | keyof OperatorService, unknown>>) =>
  createToolFactories(async () => ({ packages: service, operator: service }) as unknown as Services);

describe("agent tools", () => {
  it("every tool is declared in the manifest's contracts.tools", () => {
    expect([...manifest.contracts.tools].toSorted()).toEqual([...TOOL_NAMES].toSorted());
  });

  it("install_package takes the agent from the host's context, not from the arguments", async () => {
    const install = vi.fn().mockResolvedValue({
      package: "pandas",
      version: "2.2.3",
      skill: "s1",
      python: "/v/bin/python",
      dependencies: [],
      vulnerabilitiesFound: 0,
    });
    const tool = factories({ install }).installPackage({ agentId: "junior", sessionKey: "agent:junior:main" });
    await tool.execute("call-1", { package: "pandas", skill: "s1", agentId: "boss", maturity: "autonomous" });
    expect(install.mock.calls[0]![0]).toEqual({ package: "pandas", skill: "s1" });
    expect(install.mock.calls[0]![1]).toEqual({ source: "tool", agentId: "junior", sessionKey: "agent:junior:main" });
  });

  it("install_package throws with the code first, so the agent can tell what to do", async () => {
    const install = vi
      .fn()
      .mockRejectedValue(
        new PackageGuardError(
          "NOT_WHITELISTED",
          "Package 'requests' is not approved for student agents; approved at: intern",
        ),
      );
    const tool = factories({ install }).installPackage({ agentId: "junior" });
    await expect(tool.execute("call-1", { package: "requests", skill: "s1" })).rejects.toMatchObject({
      message: "[NOT_WHITELISTED] Package 'requests' is not approved for student agents; approved at: intern",
      code: "NOT_WHITELISTED",
      // The host passes these two names' messages through to the caller; anything else is "tool execution failed".
      name: "ToolAuthorizationError",
      status: 403,
    });
    const invalid = factories({
      install: vi.fn().mockRejectedValue(new PackageGuardError("INVALID_REQUIREMENT", "no URLs")),
    }).installPackage({});
    await expect(invalid.execute("c", { package: "x", skill: "s" })).rejects.toMatchObject({
      name: "ToolInputError",
      status: 400,
    });
  });

  it("install_package streams progress through the update callback", async () => {
    const install = vi.fn().mockImplementation(async (_r, _c, progress: (s: string, m: string) => void) => {
      progress("resolving", "Resolving pandas");
      progress("scanning", "Scanning 2 package(s)");
      return {
        package: "pandas",
        version: "2.2.3",
        skill: "s1",
        python: "/v/bin/python",
        dependencies: [],
        vulnerabilitiesFound: 0,
      };
    });
    const updates: string[] = [];
    const tool = factories({ install }).installPackage({ agentId: "junior" });
    await tool.execute("call-1", { package: "pandas", skill: "s1" }, undefined, (u) => updates.push(u.details.stage));
    expect(updates).toEqual(["resolving", "scanning"]);
  });

  it("list_packages lists what the calling agent's maturity allows", async () => {
    const listForAgent = vi.fn().mockResolvedValue({
      maturity: "student",
      ecosystem: "PyPI",
      packages: [
        { package: "pandas", version: ">=2,<3", category: "data-science", requires_approval: false, description: "" },
      ],
    });
    const tool = factories({ listForAgent }).listPackages({ agentId: "junior" });
    const r = await tool.execute("call-1", { category: "data-science" });
    expect(listForAgent).toHaveBeenCalledWith("junior", "data-science", "PyPI");
    expect(r.content[0]!.text).toContain("- pandas >=2,<3 [data-science]");
  });

  it("list_packages {ecosystem: 'npm'} lists npm packages; another ecosystem is refused", async () => {
    const listForAgent = vi.fn().mockResolvedValue({
      maturity: "intern",
      ecosystem: "npm",
      packages: [{ package: "d3", version: "7.9.0", category: "charts", requires_approval: true, description: "" }],
    });
    const tool = factories({ listForAgent }).listPackages({ agentId: "junior" });
    const r = await tool.execute("call-1", { ecosystem: "npm" });
    expect(listForAgent).toHaveBeenCalledWith("junior", undefined, "npm");
    expect(r.content[0]!.text).toContain("npm packages approved for intern agents");
    expect(r.content[0]!.text).toContain("- d3 7.9.0 [charts] (needs operator approval)");
    await expect(tool.execute("call-2", { ecosystem: "cargo" })).rejects.toMatchObject({ code: "INVALID_REQUIREMENT" });
  });
});
