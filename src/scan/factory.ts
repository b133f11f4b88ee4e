import type { PackageGuardConfig } from "../config.js";
import { PackageGuardError } from "../errors.js";
import type { Runner } from "../util/exec.js";
import { OsvDbScanner } from "./osv-db.js";
import { PipAuditScanner } from "./pip-audit.js";
import type { Scanner } from "./types.js";

/** The configured backend. `pipAudit` is the resolved executable; `cacheDir` holds pip-audit's HTTP cache. */
export const createScanner = (
  o: Omit<PackageGuardConfig["scan"], "osvApiUrl"> & { pipAudit: string; cacheDir: string },
  runner: Runner,
): Scanner => {
  if (o.scanner === "osv-db") {
    if (!o.osvDbDir) {
      throw new PackageGuardError(
        "SCANNER_UNAVAILABLE",
        'scan.scanner is "osv-db" but scan.osvDbDir is not set. Point it at a copy of ' +
          "github.com/pypa/advisory-database (the repository or its vulns/ folder).",
      );
    }
    return new OsvDbScanner(o.osvDbDir);
  }
  return new PipAuditScanner(
    {
      pipAudit: o.pipAudit,
      service: o.vulnerabilityService,
      osvUrl: o.osvUrl,
      cacheDir: o.cacheDir,
      timeoutMs: o.timeoutMs,
    },
    runner,
  );
};
