import { PackageGuardError } from "../errors.js";
import type { VulnerabilityScanService } from "../scan/scan-service.js";
import type { WidgetPolicy } from "./widget-gate.js";

/**
 * The widget gate's policy: the npm scan of the exact version through the shared scan service (cache, ignore rules,
 * fail-closed). Until the npm whitelist exists (issue 16 item 1) no npm package is approved, so every CDN library is
 * refused, closed; runtime.ts wires the whitelist once it does.
 */
export const npmWidgetPolicy = (scan: () => Promise<VulnerabilityScanService>): WidgetPolicy => ({
  allow: (name) =>
    Promise.reject(
      new PackageGuardError("NOT_WHITELISTED", `npm package '${name}' is not on the whitelist (no npm whitelist yet)`),
    ),
  scan: async (name, version, signal) =>
    (await (await scan()).scan([{ ecosystem: "npm", name, version }], signal)).findings,
});
