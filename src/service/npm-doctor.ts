import type { PackageGuardConfig } from "../config.js";
import type { ToolInfo } from "../python/types.js";

export type NpmDoctorReport = {
  /** Whether the whitelist lists any npm package: only then is npm needed. */
  used: boolean;
  npm: { path: string | null; version: string | null; ok: boolean; problem?: string };
  registry: { url: string; reachable: boolean | null; problem?: string };
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
 * The npm side of doctor: the npm executable (npm.npm) and the registry (npm.registry). A problem only fails the
 * report when the whitelist lists npm packages; otherwise it is shown and left alone.
 */
export const npmDoctor = async (
  config: PackageGuardConfig,
  tool: ToolInfo | null,
  used: boolean,
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
  return {
    used,
    npm,
    registry,
    componentsRoot: config.npm.componentsRoot,
    fixes,
    ok: npm.ok && registry.reachable !== false,
  };
};
