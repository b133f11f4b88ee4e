import type { AuditLog } from "../audit/log.js";
import type { PackageGuardConfig } from "../config.js";
import { toPackageGuardError } from "../errors.js";
import { updateAdvisoryDb, type UpdateReport } from "../scan/db-update.js";
import { readCurrent, type DbManifest } from "../scan/managed-db.js";
import type { VulnerabilityScanService } from "../scan/scan-service.js";
import { ECOSYSTEMS, type Ecosystem, type ScannerHealth } from "../scan/types.js";
import type { ExposureService, RescanSummary } from "./exposure.js";
import type { CallerContext } from "./types.js";

// A zip of every PyPI advisory is tens of MB: a download gets longer than a scan.
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

export type AdvisoryUpdateResult = UpdateReport & {
  /** The re-scan of installed skills that followed (when scans read the managed database). */
  rescan: RescanSummary | { error: string } | null;
};

export type AdvisoryStatus = {
  /** Whether scans read the managed database (scan.scanner "osv-db" without scan.osvDbDir). */
  managed: boolean;
  databases: Partial<Record<Ecosystem, DbManifest | { error: string } | null>>;
  scanner: ScannerHealth;
};

type Deps = {
  config: PackageGuardConfig;
  audit: Pick<AuditLog, "append">;
  scan: () => Promise<Pick<VulnerabilityScanService, "probe">>;
  exposure: Pick<ExposureService, "rescan">;
  now?: () => Date;
};

export const usesManagedDb = (config: PackageGuardConfig): boolean =>
  config.scan.scanner === "osv-db" && config.scan.osvDbDir === null;

/** `advisories update`: the new database, an audit record either way, then a re-scan of what is installed. */
export const updateAdvisories = async (
  deps: Deps,
  input: {
    from?: string | undefined;
    ecosystem?: Ecosystem | undefined;
    force?: boolean | undefined;
    /** false: leave the re-scan to the gateway's background service (it sees the new data within a minute). */
    rescan?: boolean | undefined;
  },
  caller: CallerContext,
): Promise<AdvisoryUpdateResult> => {
  const { config } = deps;
  const ecosystem = input.ecosystem ?? "PyPI";
  let report: UpdateReport;
  try {
    report = await updateAdvisoryDb({
      root: config.scan.advisoryDbDir,
      ecosystem,
      from: input.from,
      mirror: config.scan.osvDbUrl,
      timeoutMs: DOWNLOAD_TIMEOUT_MS,
      force: input.force === true,
      ...(deps.now ? { now: deps.now } : {}),
    });
  } catch (error) {
    const e = toPackageGuardError(error, "SCANNER_UNAVAILABLE");
    await deps.audit.append({
      source: caller.source,
      client: caller.client ?? null,
      status: "failed",
      code: e.code,
      reason: e.message,
      details: { action: "advisories-update", ecosystem },
    });
    throw e;
  }
  await deps.audit.append({
    source: caller.source,
    client: caller.client ?? null,
    status: "advisories_updated",
    reason:
      `${ecosystem} advisory database ${report.generation} from ${report.source}: ${report.records} records ` +
      `(${report.malware} malware)`,
    details: { ...report },
  });
  let rescan: AdvisoryUpdateResult["rescan"] = null;
  if (usesManagedDb(config) && input.rescan !== false) {
    rescan = await deps.exposure
      .rescan("advisories update")
      .catch((error: unknown) => ({ error: toPackageGuardError(error).message }));
  }
  return { ...report, rescan };
};

export const advisoryStatus = async (deps: Deps): Promise<AdvisoryStatus> => {
  const databases: AdvisoryStatus["databases"] = {};
  for (const ecosystem of ECOSYSTEMS) {
    databases[ecosystem] = await readCurrent(deps.config.scan.advisoryDbDir, ecosystem).catch((error: unknown) => ({
      error: toPackageGuardError(error).message,
    }));
  }
  return {
    managed: usesManagedDb(deps.config),
    databases,
    scanner: await (await deps.scan()).probe(AbortSignal.timeout(deps.config.scan.timeoutMs)),
  };
};
