import type { PackageGuardConfig } from "../config.js";
import type { ToolInfo } from "../python/types.js";
import type { ScannerHealth } from "../scan/types.js";
import type { DoctorCheck } from "./doctor-types.js";

export type NpmDoctorReport = {
  /** Whether the whitelist lists any npm package: only then is npm needed. */
  used: boolean;
  npm: { path: string | null; version: string | null; ok: boolean; problem?: string };
  registry: { url: string; reachable: boolean | null; problem?: string };
  /** The scanner npm trees go to (the OSV API, or the offline database), probed when npm is used. */
  scanner: ScannerHealth | null;
  componentsRoot: string;
  fixes: string[];
  ok: boolean;
};

const probeRegistry = async (url: string): Promise<{ reachable: boolean; problem?: string }> => {
  try {
    // The registry root answers with JSON on npmjs.org and the usual mirrors (Verdaccio, Nexus, Artifactory).
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000), headers: { Accept: "application/json" } });
    await response.body?.cancel();
    return response.status < 500 ? { reachable: true } : { reachable: false, problem: `HTTP ${response.status}` };
  } catch (error) {
    return { reachable: false, problem: (error as Error).message };
  }
};

/**
 * The npm side of doctor: the npm executable (npm.npm), the registry (npm.registry) and the scanner npm trees go to.
 * They are checked, and fail the report, only when the whitelist lists npm packages.
 */
export const npmDoctor = async (
  config: PackageGuardConfig,
  tool: ToolInfo | null,
  used: boolean,
  scanner: () => Promise<{ probe(signal?: AbortSignal): Promise<ScannerHealth> }>,
): Promise<NpmDoctorReport> => {
  const fixes: string[] = [];
  const npm = tool
    ? { path: tool.path, version: tool.version, ok: true }
    : { path: null, version: null, ok: !used, problem: `not found: '${config.npm.npm}'` };
  if (!tool && used)
    fixes.push(
      `Install npm or set plugins.entries.package-guard.config.npm.npm to its absolute path (now '${config.npm.npm}')`,
    );
  const registry = used
    ? { url: config.npm.registry, ...(await probeRegistry(config.npm.registry)) }
    : { url: config.npm.registry, reachable: null };
  if (registry.reachable === false)
    fixes.push(`The npm registry ${config.npm.registry} is not reachable (${registry.problem}); check npm.registry`);
  const health = used
    ? await scanner()
        .then((s) => s.probe(AbortSignal.timeout(config.scan.timeoutMs)))
        .catch((error: unknown): ScannerHealth => ({ ok: false, backend: "npm", problem: (error as Error).message }))
    : null;
  if (health && !health.ok)
    fixes.push(`npm scans: ${health.problem ?? "not usable"}${health.fix ? `; ${health.fix}` : ""}`);
  return {
    used,
    npm,
    registry,
    scanner: health,
    componentsRoot: config.npm.componentsRoot,
    fixes,
    ok: npm.ok && registry.reachable !== false && health?.ok !== false,
  };
};

/** The npm report as doctor's table rows (a DoctorSection's output): failures only when npm is used. */
export const npmDoctorChecks = (report: NpmDoctorReport, configured: string): DoctorCheck[] => {
  const { npm, registry, scanner } = report;
  if (!report.used)
    return [
      {
        check: "npm",
        status: "ok",
        detail: `not needed: the whitelist lists no npm package${npm.path ? ` (${npm.path}, ${npm.version})` : ""}`,
      },
    ];
  const checks: DoctorCheck[] = [
    npm.ok
      ? { check: "npm", status: "ok", detail: `${npm.path} (${npm.version})` }
      : {
          check: "npm",
          status: "fail",
          detail: `not found: '${configured}'`,
          fix: `Install npm or set npm.npm to its absolute path (now '${configured}')`,
        },
    registry.reachable === false
      ? {
          check: "npm registry",
          status: "fail",
          detail: `${registry.url} does not answer (${registry.problem})`,
          fix: "Check npm.registry and the network",
        }
      : { check: "npm registry", status: "ok", detail: `${registry.url} answers` },
  ];
  if (scanner) {
    const counted = scanner.advisories === undefined ? "" : `, ${scanner.advisories} advisories`;
    checks.push(
      scanner.ok
        ? { check: "npm scanner", status: "ok", detail: `${scanner.backend}: ${scanner.source ?? "answers"}${counted}` }
        : {
            check: "npm scanner",
            status: "fail",
            detail: `${scanner.backend}: ${scanner.problem ?? "does not answer"}; npm installs fail closed`,
            fix: scanner.fix ?? "Check scan.osvApiUrl (or the offline database) for npm",
          },
    );
  }
  return checks;
};
