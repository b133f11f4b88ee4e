import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../../src/audit/log.js";
import { parseConfig, type PackageGuardConfig } from "../../../src/config.js";
import { isPackageGuardError } from "../../../src/errors.js";
import { NpmComponents } from "../../../src/npm/components.js";
import { ApprovalStore } from "../../../src/policy/approvals.js";
import { OverrideStore } from "../../../src/policy/overrides.js";
import { WhitelistSources } from "../../../src/policy/whitelist-sources.js";
import { ScanCache } from "../../../src/scan/cache.js";
import { VulnerabilityScanService } from "../../../src/scan/scan-service.js";
import { pinKey, type Finding, type ScanPin, type Scanner } from "../../../src/scan/types.js";
import { NpmPackageService } from "../../../src/service/npm-pipeline.js";
import { runProcess, type Runner } from "../../../src/util/exec.js";

/** Advisories by `name@version`, answered the way a scanner answers: one entry per pin asked about. */
export const fakeScanner = (
  advisories: Record<string, Omit<Finding, "package" | "version">[]>,
): Scanner & {
  asked: string[];
} => {
  const asked: string[] = [];
  return {
    id: "fake-osv",
    asked,
    async scan(pins: ScanPin[]) {
      const out = new Map<string, Finding[]>();
      for (const pin of pins) {
        asked.push(`${pin.name}@${pin.version}`);
        const found = advisories[`${pin.name}@${pin.version}`] ?? [];
        out.set(
          pinKey(pin),
          found.map((f) => Object.assign({ package: pin.name, version: pin.version }, f)),
        );
      }
      return out;
    },
  };
};

export type NpmHarness = {
  stateDir: string;
  config: PackageGuardConfig;
  audit: AuditLog;
  approvals: ApprovalStore;
  service: NpmPackageService;
  components: NpmComponents;
  cleanup(): Promise<void>;
};

/** The npm pipeline wired as runtime.ts wires it, with the given plugin block and scanner, against a real npm. */
export const npmHarness = async (
  block: Record<string, unknown>,
  scanner: Scanner,
  runner: Runner = runProcess,
): Promise<NpmHarness> => {
  const stateDir = await mkdtemp(join(tmpdir(), "pg-npm-"));
  const config = parseConfig(block, stateDir);
  const audit = await AuditLog.open(config.audit.file);
  const approvals = new ApprovalStore({ file: config.approvals.file, ttlHours: 72, maxPending: 50 });
  const components = new NpmComponents(config, runner);
  const cache = ScanCache.open({ file: config.scan.cacheFile, ttlHours: config.scan.cacheTtlHours });
  const service = new NpmPackageService({
    config,
    whitelist: new WhitelistSources(config.whitelist),
    audit,
    approvals,
    overrides: new OverrideStore(join(config.dataDir, "overrides.json")),
    scan: async () => new VulnerabilityScanService({ scanner, cache: await cache, ignore: config.scan.ignore }),
    npm: components,
  });
  return {
    stateDir,
    config,
    audit,
    approvals,
    service,
    components,
    cleanup: () => rm(stateDir, { recursive: true, force: true }),
  };
};

export const denial = async (
  p: Promise<unknown>,
): Promise<{ code: string; message: string; details: Record<string, unknown> }> => {
  try {
    await p;
  } catch (error) {
    if (isPackageGuardError(error)) return { code: error.code, message: error.message, details: error.details ?? {} };
    throw error;
  }
  throw new Error("expected a denial");
};

/** Entries of a folder, [] when it does not exist. */
export const list = (dir: string): Promise<string[]> => readdir(dir).catch(() => []);
