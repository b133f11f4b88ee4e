import type { ExposureService } from "./exposure.js";
import type { InstallApprovalService } from "./install-approval.js";
import type { OperatorService } from "./operator.js";
import type { PackageService } from "./pipeline.js";
import type { WidgetGate } from "./widget-gate.js";

/**
 * What the surfaces call: the install pipeline, the operator's own operations beside it, the re-scan of what is
 * installed (the background service drives it), the widget gate, and approvals for install_package asked
 * through OpenClaw.
 */
export type Services = {
  packages: PackageService;
  operator: OperatorService;
  exposure: ExposureService;
  widgets: WidgetGate;
  installApprovals: InstallApprovalService;
};
