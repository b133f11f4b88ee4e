import { PackageGuardError } from "../errors.js";
import type { WidgetPolicy } from "./widget-gate.js";

/**
 * Until the npm whitelist and scanner exist (issue 16 items 1 and 2), no npm package is approved: the gate refuses
 * every CDN library, closed. runtime.ts wires the real ones once they do.
 */
export const noNpmPolicy: WidgetPolicy = {
  allow: (name) =>
    Promise.reject(
      new PackageGuardError("NOT_WHITELISTED", `npm package '${name}' is not on the whitelist (no npm whitelist yet)`),
    ),
  scan: () => Promise.reject(new PackageGuardError("SCANNER_UNAVAILABLE", "no npm scanner is configured")),
};
