import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { AuditLog } from "./audit/log.js";
import type { PackageGuardConfig } from "./config.js";
import { ApprovalStore } from "./policy/approvals.js";
import { resolveMaturity } from "./policy/maturity.js";
import { OverrideStore } from "./policy/overrides.js";
import { WhitelistSources } from "./policy/whitelist-sources.js";
import { PythonEnvironment } from "./python/environment.js";
import { ScanCache } from "./scan/cache.js";
import { createScanner } from "./scan/factory.js";
import { VulnerabilityScanService } from "./scan/scan-service.js";
import { ExposureService } from "./service/exposure.js";
import { OperatorService } from "./service/operator.js";
import { PackageService } from "./service/pipeline.js";
import type { Services } from "./service/services.js";
import { RegistryPackageFiles } from "./service/widget-files.js";
import { WidgetGate } from "./service/widget-gate.js";
import { npmWidgetPolicy } from "./service/widget-policy.js";
import { runProcess, type Runner } from "./util/exec.js";

export type RuntimeOptions = { runner?: Runner; now?: () => Date };

/** Wires the services from a parsed configuration: the only place that knows every concrete backend. */
export const openServices = async (config: PackageGuardConfig, options: RuntimeOptions = {}): Promise<Services> => {
  const runner = options.runner ?? runProcess;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const audit = await AuditLog.open(config.audit.file, { rotateBytes: config.audit.rotateBytes });
  const whitelist = new WhitelistSources(config.whitelist);
  const python = new PythonEnvironment(config, runner);
  let scan: Promise<VulnerabilityScanService> | undefined;
  const openScan = async (): Promise<VulnerabilityScanService> => {
    const tools = await python.tools();
    const scanner = createScanner(
      {
        ...config.scan,
        pipAudit: tools.pipAudit?.path ?? config.python.pipAudit,
        pipAuditVersion: tools.pipAudit?.version ?? null,
        cacheDir: config.python.cacheDir,
        ...(options.now ? { now: options.now } : {}),
      },
      runner,
    );
    const cache = await ScanCache.open({ file: config.scan.cacheFile, ttlHours: config.scan.cacheTtlHours });
    return new VulnerabilityScanService({
      scanner,
      cache,
      ignore: config.scan.ignore,
      ...(options.now ? { now: options.now } : {}),
    });
  };
  const deps = {
    config,
    whitelist,
    audit,
    python,
    approvals: new ApprovalStore({
      file: config.approvals.file,
      ttlHours: config.approvals.ttlHours,
      maxPending: config.approvals.maxPending,
      ...(options.now ? { now: options.now } : {}),
    }),
    overrides: new OverrideStore(join(config.dataDir, "overrides.json"), options.now),
    scan: () =>
      (scan ??= openScan().catch((error: unknown) => {
        scan = undefined;
        throw error;
      })),
    ...(options.now ? { now: options.now } : {}),
  };
  const widgets = new WidgetGate({
    options: { esmSh: config.widgets.esmSh, fonts: config.widgets.fonts },
    policy: npmWidgetPolicy(deps.scan),
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
  return {
    packages: new PackageService(deps),
    operator: new OperatorService({ ...deps, exposure }),
    exposure,
    widgets,
  };
};
