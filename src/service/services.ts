import type { InstallApprovalService } from "./install-approval.js";
import type { OperatorService } from "./operator.js";
import type { PackageService } from "./pipeline.js";

/** What the surfaces call: the install pipeline, the operator's own operations, and approvals asked in chat. */
export type Services = {
  packages: PackageService;
  operator: OperatorService;
  installApprovals: InstallApprovalService;
};
