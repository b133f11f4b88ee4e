import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { loadSigningKey } from "./audit/head.js";
import { type AuditHead, AuditLog, type AuditLogOptions } from "./audit/log.js";
import { parseConfig, type PackageGuardConfig } from "./config.js";
import { PackageGuardError, toPackageGuardError } from "./errors.js";
import { NpmComponents } from "./npm/components.js";
import { ApprovalStore } from "./policy/approvals.js";
import { resolveMaturity } from "./policy/maturity.js";
import { OverrideStore } from "./policy/overrides.js";
import { WhitelistSources } from "./policy/whitelist-sources.js";
import { describeChange, WhitelistWatch } from "./policy/whitelist-watch.js";
import { PythonEnvironment } from "./python/environment.js";
import type { FetchFn } from "./python/simple-api.js";
import { ScanCache } from "./scan/cache.js";
import { createScanner } from "./scan/factory.js";
import { OsvApiScanner } from "./scan/osv-api.js";
import { VulnerabilityScanService } from "./scan/scan-service.js";
import type { Scanner } from "./scan/types.js";
import { logDecisions, type DecisionLogger } from "./service/decision-log.js";
import { ExposureService } from "./service/exposure.js";
import { InstallApprovalService } from "./service/install-approval.js";
import { NpmPackageService } from "./service/npm-pipeline.js";
import { OperatorService } from "./service/operator.js";
import { PackageService } from "./service/pipeline.js";
import type { Services } from "./service/services.js";
import { RegistryPackageFiles } from "./service/widget-files.js";
import { WidgetGate } from "./service/widget-gate.js";
import { npmWidgetPolicy } from "./service/widget-policy.js";
import { recoveryLog } from "./service/write-ahead.js";
import { runProcess, type Runner } from "./util/exec.js";

export type RuntimeOptions = {
  runner?: Runner;
  now?: () => Date;
  /** Told the audit head after every append (the gateway logs it: a copy of the anchor outside the state dir). */
  onAuditHead?: (head: AuditHead) => void;
  /** Fault injection in tests only: replaces the audit log's write (see AuditLogOptions.write). */
  auditWrite?: AuditLogOptions["write"];
  /** The gateway's logger: one line per decision (the CLI prints its own results instead). */
  logger?: DecisionLogger;
  /** Tests only: how the index's project pages are read for the release check (default: Node's fetch). */
  fetch?: FetchFn;
};

/** Opens something once, on first use; a failed open is tried again next time. */
const lazily = <T>(open: () => Promise<T>): (() => Promise<T>) => {
  let opened: Promise<T> | undefined;
  return () =>
    (opened ??= open().catch((error: unknown) => {
      opened = undefined;
      throw error;
    }));
};

/** Wires the services from a parsed configuration: the only place that knows every concrete backend. */
export const openServices = async (config: PackageGuardConfig, options: RuntimeOptions = {}): Promise<Services> => {
  const runner = options.runner ?? runProcess;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const audit = await AuditLog.open(config.audit.file, {
    rotateBytes: config.audit.rotateBytes,
    keys: config.audit.signingKey ? await loadSigningKey(config.audit.signingKey) : null,
    ...(options.onAuditHead ? { onHead: options.onAuditHead } : {}),
    ...(options.auditWrite ? { write: options.auditWrite } : {}),
    ...(options.logger ? { onAppend: logDecisions(options.logger) } : {}),
  });
  const whitelist = new WhitelistSources(
    config.whitelist,
    new WhitelistWatch(join(config.dataDir, "whitelist-seen.json"), async (changes) => {
      for (const change of changes)
        await audit.append({ source: "system", status: "whitelist_changed", ...describeChange(change) });
    }),
  );
  const python = new PythonEnvironment(config, runner, options.fetch ? { fetch: options.fetch } : {});
  python.recordChangesWith(recoveryLog(audit));
  // One cache for both ecosystems: two scan services writing one file through two caches would lose entries.
  const cache = lazily(() => ScanCache.open({ file: config.scan.cacheFile, ttlHours: config.scan.cacheTtlHours }));
  const scanService = async (scanner: Scanner): Promise<VulnerabilityScanService> =>
    new VulnerabilityScanService({
      scanner,
      cache: await cache(),
      ignore: config.scan.ignore,
      ...(options.now ? { now: options.now } : {}),
    });
  const scan = lazily(async () => {
    const tools = await python.tools();
    return scanService(
      createScanner(
        {
          ...config.scan,
          pipAudit: tools.pipAudit?.path ?? config.python.pipAudit,
          pipAuditVersion: tools.pipAudit?.version ?? null,
          cacheDir: config.python.cacheDir,
          ...(options.now ? { now: options.now } : {}),
        },
        runner,
      ),
    );
  });
  // npm trees: the offline database when the operator chose it (it holds every ecosystem), else the OSV API, since
  // pip-audit only knows PyPI.
  const npmScan =
    config.scan.scanner === "osv-db"
      ? scan
      : lazily(() =>
          scanService(new OsvApiScanner({ baseUrl: config.scan.osvApiUrl, timeoutMs: config.scan.timeoutMs })),
        );
  const deps = {
    config,
    whitelist,
    audit,
    python,
    approvals: new ApprovalStore({
      file: config.approvals.file,
      ttlHours: config.approvals.ttlHours,
      maxPending: config.approvals.maxPending,
      maxPendingPerAgent: config.approvals.maxPendingPerAgent,
      pendingTtlHours: config.approvals.pendingTtlHours,
      ...(options.now ? { now: options.now } : {}),
    }),
    overrides: new OverrideStore(join(config.dataDir, "overrides.json"), options.now),
    scan,
    ...(options.now ? { now: options.now } : {}),
  };
  const widgets = new WidgetGate({
    options: { esmSh: config.widgets.esmSh, fonts: config.widgets.fonts },
    // The same npm whitelist and npm scanner as component installs.
    policy: npmWidgetPolicy(npmScan, whitelist),
    files: new RegistryPackageFiles({
      registry: config.widgets.registry,
      timeoutMs: config.widgets.timeoutMs,
      maxTarballBytes: config.widgets.maxTarballBytes,
    }),
    audit,
    maturityOf: (agentId) => resolveMaturity(config, agentId ?? undefined),
    ...(options.now ? { now: options.now } : {}),
  });
  const exposure = new ExposureService(deps);
  const npm = new NpmComponents(config, runner);
  const packages = new PackageService(deps);
  const npmPackages = new NpmPackageService({ ...deps, npm, scan: npmScan });
  // Every entry point (gateway start, each CLI command, install-policy, the hook's first use) opens the services
  // here: changes a killed process left half done are recovered and recorded before anything else happens.
  const recovered = await packages.recover();
  return {
    packages,
    npm: npmPackages,
    operator: new OperatorService({ ...deps, exposure, npm, npmScan }),
    exposure,
    widgets,
    installApprovals: new InstallApprovalService({ ...deps, packages, npm: npmPackages }),
    recovered,
  };
};

/** The services for a plugin block, or the reason there are none: what every surface of the plugin calls. */
export type Guard = {
  config: PackageGuardConfig | null;
  /** CONFIG_INVALID naming each problem: the guard is closed and every surface refuses with it. */
  problem: PackageGuardError | null;
  getServices: () => Promise<Services>;
};

/**
 * A bad block closes the guard instead of removing it: the plugin still registers every surface, and each one gets
 * this CONFIG_INVALID from getServices(), so installs are refused with the problems named, never let through.
 */
export const openGuard = (block: unknown, stateDir: string, options: RuntimeOptions = {}): Guard => {
  let config: PackageGuardConfig;
  try {
    config = parseConfig(block, stateDir);
  } catch (error) {
    const problem = closedBy(toPackageGuardError(error, "CONFIG_INVALID"));
    return { config: null, problem, getServices: () => Promise.reject(problem) };
  }
  let opened: Promise<Services> | undefined;
  const getServices = (): Promise<Services> =>
    (opened ??= openServices(config, options).catch((error: unknown) => {
      opened = undefined;
      throw error;
    }));
  return { config, problem: null, getServices };
};

const closedBy = (e: PackageGuardError): PackageGuardError =>
  new PackageGuardError(
    "CONFIG_INVALID",
    `package-guard is closed: ${e.message}. Every install is refused until plugins.entries.package-guard.config in ` +
      `openclaw.json is fixed (do not run 'openclaw doctor --fix' for this: it would disable the plugin and delete ` +
      `its block).`,
    { details: { ...e.details, closed: true }, cause: e },
  );
