import { describe, expect, it } from "vitest";
import { Whitelist, parseWhitelistYaml } from "../../../src/policy/whitelist.js";
import type { VulnerabilityScanService } from "../../../src/scan/scan-service.js";
import { npmWidgetPolicy } from "../../../src/service/widget-policy.js";

const whitelist = Whitelist.fromLayers([
  parseWhitelistYaml(
    `tiers:
  student:
    - {package: d3, ecosystem: npm, version: ">=7.8 <8"}
    - {package: d3, version: ">=1"}
  intern:
    - {package: chart.js, ecosystem: npm, version: "^4.4.0"}
    - {package: gated, ecosystem: npm, requires_approval: true}
`,
    "w.yaml",
  ),
]);
const scans: string[] = [];
const policy = npmWidgetPolicy(
  async () =>
    ({
      scan: async (pins: { name: string; version: string }[]) => {
        scans.push(...pins.map((p) => `${p.name}@${p.version}`));
        return { findings: [] };
      },
    }) as unknown as VulnerabilityScanService,
  { current: async () => whitelist },
);

describe("the widget gate's npm policy: the npm whitelist at the agent's maturity", () => {
  it("allows an exact version inside the entry's range, at that tier and above", async () => {
    await expect(policy.allow("d3", "7.9.0", "student")).resolves.toBeUndefined();
    await expect(policy.allow("chart.js", "4.4.1", "autonomous")).resolves.toBeUndefined();
  });

  it.each([
    ["d3", "8.0.0", "student", "CONSTRAINT_VIOLATION"],
    ["d3", "7.9.0-rc.1", "student", "CONSTRAINT_VIOLATION"],
    ["chart.js", "4.4.1", "student", "NOT_WHITELISTED"],
    ["left-pad", "1.3.0", "autonomous", "NOT_WHITELISTED"],
    ["gated", "1.0.0", "intern", "APPROVAL_REQUIRED"],
    ["D3", "7.9.0", "student", "INVALID_REQUIREMENT"],
    ["d3", "latest", "student", "INVALID_REQUIREMENT"],
  ] as const)("refuses %s@%s for %s agents: %s", async (name, version, maturity, code) => {
    await expect(policy.allow(name, version, maturity)).rejects.toMatchObject({ code });
  });

  it("scans the exact version as an npm pin", async () => {
    await expect(policy.scan("d3", "7.9.0")).resolves.toEqual([]);
    expect(scans).toEqual(["d3@7.9.0"]);
  });
});
