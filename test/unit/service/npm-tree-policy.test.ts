import { describe, expect, it, vi } from "vitest";
import { isPackageGuardError, PackageGuardError } from "../../../src/errors.js";
import type { LockPackage } from "../../../src/npm/types.js";
import { Whitelist, parseWhitelistYaml } from "../../../src/policy/whitelist.js";
import { checkTreePolicy, type NpmTreePolicy } from "../../../src/service/npm-tree.js";

/*
 * Issue 13 item 2 for npm trees: a dependency that is on the whitelist answers to its entry - visible at the agent's
 * maturity, granted when it requires approval - and policy.dependencies 'whitelisted' refuses unlisted ones.
 */
const WHITELIST = Whitelist.fromLayers([
  parseWhitelistYaml(
    `
tiers:
  student:
    - { package: chartkit, ecosystem: npm }
  supervised:
    - { package: evaldep, ecosystem: npm }
    - { package: paiddep, ecosystem: npm, version: "^2.0.0", requires_approval: true }
`,
    "tiers.yaml",
  ),
]);

const pkg = (name: string, version = "1.0.0", path = `node_modules/${name}`): LockPackage => ({
  path,
  name,
  version,
  resolved: `http://127.0.0.1:1/${name}/-/${name}-${version}.tgz`,
  integrity: "sha512-x",
  hasInstallScript: false,
  optional: false,
});

const policy = (over: Partial<NpmTreePolicy> = {}): NpmTreePolicy => ({
  whitelist: WHITELIST,
  maturity: "student",
  requested: ["chartkit"],
  dependencies: "scanned",
  requireGrant: vi.fn(async () => ({ id: "appr-1" })),
  ...over,
});

const refusal = async (p: Promise<void>): Promise<PackageGuardError> => {
  try {
    await p;
  } catch (error) {
    if (isPackageGuardError(error)) return error;
    throw error;
  }
  throw new Error("expected a refusal");
};

describe("the npm tree's dependency policy", () => {
  it("refuses a dependency listed only at a higher tier, naming the tier and where it sits", async () => {
    const tree = [pkg("chartkit"), pkg("evaldep", "1.0.0", "node_modules/chartkit/node_modules/evaldep")];
    const e = await refusal(checkTreePolicy(tree, policy()));
    expect(e.code).toBe("NOT_WHITELISTED");
    expect(e.message).toContain("npm dependency 'evaldep' (node_modules/chartkit/node_modules/evaldep");
    expect(e.message).toContain("is approved only from supervised up, not for student agents");
    expect(e.details).toMatchObject({ package: "evaldep", ecosystem: "npm", approvedAt: "supervised" });
  });

  it("lets the same tree through for a supervised agent", async () => {
    const tree = [pkg("chartkit"), pkg("evaldep")];
    await expect(checkTreePolicy(tree, policy({ maturity: "supervised" }))).resolves.toBeUndefined();
  });

  it("asks for the grant of a dependency whose entry requires approval, with its entry's range", async () => {
    const requireGrant = vi.fn(async () => {
      throw new PackageGuardError("APPROVAL_REQUIRED", "pending");
    });
    const tree = [pkg("chartkit"), pkg("paiddep", "2.1.0")];
    const e = await refusal(checkTreePolicy(tree, policy({ maturity: "supervised", requireGrant })));
    expect(e.code).toBe("APPROVAL_REQUIRED");
    expect(requireGrant).toHaveBeenCalledWith("paiddep", "^2.0.0");
    const granted = vi.fn(async () => ({ id: "appr-2" }));
    await checkTreePolicy(tree, policy({ maturity: "supervised", requireGrant: granted }));
    expect(granted).toHaveBeenCalledTimes(1);
  });

  it("lets an unlisted dependency in by default, and refuses it with policy.dependencies 'whitelisted'", async () => {
    const tree = [pkg("chartkit"), pkg("leftpad")];
    await expect(checkTreePolicy(tree, policy())).resolves.toBeUndefined();
    const e = await refusal(checkTreePolicy(tree, policy({ dependencies: "whitelisted" })));
    expect(e.code).toBe("NOT_WHITELISTED");
    expect(e.message).toContain("'leftpad'");
    expect(e.message).toContain("is not on the whitelist, and policy.dependencies is 'whitelisted'");
  });

  it("exempts the component's own requests, which were each decided when asked for", async () => {
    const requireGrant = vi.fn(async () => ({ id: "appr-3" }));
    const tree = [pkg("chartkit"), pkg("paiddep", "2.1.0")];
    await checkTreePolicy(tree, policy({ maturity: "supervised", requested: ["chartkit", "paiddep"], requireGrant }));
    expect(requireGrant).not.toHaveBeenCalled();
  });

  it("a Python entry of the same name never stands in for an npm one", async () => {
    const mixed = Whitelist.fromLayers([
      parseWhitelistYaml("tiers:\n  autonomous:\n    - { package: sharedname }\n", "py.yaml"),
    ]);
    const tree = [pkg("chartkit"), pkg("sharedname")];
    await expect(checkTreePolicy(tree, policy({ whitelist: mixed }))).resolves.toBeUndefined();
  });
});
