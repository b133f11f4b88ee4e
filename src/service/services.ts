import type { NpmPackageService } from "./npm-pipeline.js";
import type { OperatorService } from "./operator.js";
import type { PackageService } from "./pipeline.js";

/** What the surfaces call: the install pipelines (PyPI, npm), and the operator's own operations beside them. */
export type Services = { packages: PackageService; npm: NpmPackageService; operator: OperatorService };
