import type { ExposureService } from "./exposure.js";
import type { InstallApprovalService } from "./install-approval.js";
import type { NpmPackageService } from "./npm-pipeline.js";
import type { OperatorService } from "./operator.js";
import type { PackageService } from "./pipeline.js";
import type { WidgetGate } from "./widget-gate.js";

/**
 * What the surfaces call: the install pipelines (PyPI, npm), the operator's own operations beside them, the re-scan
 * of what is installed (the background service drives it), the widget gate, and approvals for install_package asked
 * through OpenClaw.
 */
export type Services = {
  packages: PackageService;
  npm: NpmPackageService;
  operator: OperatorService;
  exposure: ExposureService;
  widgets: WidgetGate;
  installApprovals: InstallApprovalService;
};

/** What OpenClaw's install gates (before_install, installPolicy) call: Python vetting and pre-install, npm vetting. */
export const installGate = (s: Services) => ({
  vetSkill: s.packages.vetSkill.bind(s.packages),
  preinstallSkill: s.packages.preinstallSkill.bind(s.packages),
  vetNpm: s.npm.vet.bind(s.npm),
});
