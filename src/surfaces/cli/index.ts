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
import { mountShell } from "./shell.js";
import { mountWhitelist } from "./whitelist.js";

export { EXIT, type CliDeps, type CommonOptions } from "./kit.js";

/** Mounts the operator commands on `root` ("openclaw packages" or the package-guard bin): one group per file. */
export const buildCommands = (root: Command, deps: CliDeps, argv: readonly string[] = process.argv): void => {
  const kit = createKit(deps);
  // Usage errors (a missing option, an unknown command) are commander's; under --json they are JSON too. Subcommands
  // made after this inherit it.
  const json = argv.includes("--json");
  const usageError = (text: string): string =>
    JSON.stringify({ code: "CONFIG_INVALID", message: text.trim().replace(/^error: /, ""), details: { usage: true } });
  root.configureOutput({
    outputError: (text, write) => (json ? kit.out.stdout(`${usageError(text)}\n`) : write(text)),
  });
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
    mountShell,
  ]) {
    mount(root, kit);
  }
};
