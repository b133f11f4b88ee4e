import type { Maturity } from "../config.js";
import { PackageGuardError } from "../errors.js";
import { evaluateNpm } from "../policy/npm-decide.js";
import { parseNpmRequest } from "../policy/npm-request.js";
import type { Whitelist } from "../policy/whitelist.js";
import type { VulnerabilityScanService } from "../scan/scan-service.js";
import type { WidgetPolicy } from "./widget-gate.js";

/**
 * The widget gate's policy: the npm whitelist at the agent's maturity (the exact version must lie in the entry's
 * range), and the npm scan of that version through the shared scan service (cache, ignore rules, fail-closed).
 */
export const npmWidgetPolicy = (
  scan: () => Promise<VulnerabilityScanService>,
  whitelist: { current(): Promise<Whitelist> },
): WidgetPolicy => ({
  allow: async (name: string, version: string, maturity: Maturity) => {
    const decision = evaluateNpm(await whitelist.current(), parseNpmRequest(name, version), maturity);
    // A widget is shown now or never: there is no later retry an operator's grant could let through.
    if (decision.requiresApproval) {
      throw new PackageGuardError(
        "APPROVAL_REQUIRED",
        `npm package '${name}' needs operator approval, which a widget cannot wait for; an operator can approve it ` +
          `for widgets by listing it without requires_approval`,
        { details: { package: name, ecosystem: "npm", version, maturity } },
      );
    }
  },
  scan: async (name, version, signal) =>
    (await (await scan()).scan([{ ecosystem: "npm", name, version }], signal)).findings,
});
