import type { PackageGuardConfig } from "../config.js";
import type { Runner } from "../util/exec.js";
import { ManagedSource } from "./managed-db.js";
import { OsvDbScanner } from "./osv-db.js";
import { PipAuditScanner } from "./pip-audit.js";
import { DirectorySource } from "./tree-source.js";
import type { Scanner } from "./types.js";

export type ScannerSettings = Omit<PackageGuardConfig["scan"], "osvApiUrl"> & {
  /** The resolved pip-audit executable and its version (doctor's tool probe). */
  pipAudit: string;
  pipAuditVersion?: string | null;
  /** pip-audit's HTTP cache goes under it. */
  cacheDir: string;
  now?: () => Date;
};

/**
 * The configured backend. osv-db reads `scan.osvDbDir` when set (the operator's advisory directory), else the managed
 * database that `advisories update` maintains.
 */
export const createScanner = (o: ScannerSettings, runner: Runner): Scanner => {
  if (o.scanner === "osv-db") {
    const clock = o.now ? () => o.now!().getTime() : Date.now;
    const source = o.osvDbDir ? new DirectorySource(o.osvDbDir, clock) : new ManagedSource(o.advisoryDbDir);
    return new OsvDbScanner(source, { maxAgeDays: o.maxAdvisoryAgeDays, ...(o.now ? { now: o.now } : {}) });
  }
  return new PipAuditScanner(
    {
      pipAudit: o.pipAudit,
      service: o.vulnerabilityService,
      osvUrl: o.osvUrl,
      cacheDir: o.cacheDir,
      timeoutMs: o.timeoutMs,
      version: o.pipAuditVersion ?? null,
    },
    runner,
  );
};
