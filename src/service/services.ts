import type { OperatorService } from "./operator.js";
import type { PackageService } from "./pipeline.js";

/** What the surfaces call: the install pipeline, and the operator's own operations beside it. */
export type Services = {
  packages: PackageService;
  operator: OperatorService;
  /** How many interrupted changes were recovered when these services were opened. */
  recovered?: number;
};
