import type { Command } from "commander";
import { mountAdvisories } from "./advisories.js";
import { mountApprovals } from "./approvals.js";
import { mountAudit } from "./audit.js";
import { mountDoctor } from "./doctor.js";
import { mountExposure } from "./exposure.js";
import { mountInstallPolicy } from "./install-policy.js";
import { createKit, type CliDeps } from "./kit.js";
import { mountOverrides } from "./overrides.js";
import { mountPackages } from "./packages.js";
import { mountQuarantine } from "./quarantine.js";
import { mountSbom } from "./sbom.js";
import { mountWhitelist } from "./whitelist.js";

export { EXIT, type CliDeps, type CommonOptions } from "./kit.js";

/** Mounts the operator commands on `root` ("openclaw packages" or the package-guard bin): one group per file. */
export const buildCommands = (root: Command, deps: CliDeps): void => {
  const kit = createKit(deps);
  for (const mount of [
    mountPackages,
    mountWhitelist,
    mountApprovals,
    mountOverrides,
    mountAudit,
    mountDoctor,
    mountAdvisories,
    mountExposure,
    mountQuarantine,
    mountSbom,
    mountInstallPolicy,
  ]) {
    mount(root, kit);
  }
};
