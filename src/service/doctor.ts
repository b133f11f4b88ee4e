import { access, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PackageGuardConfig } from "../config.js";
import type { PythonEnvironment } from "../python/environment.js";
import type { ScannerHealth } from "../scan/types.js";
import { releaseChecks } from "./doctor-releases.js";
import type { DoctorReport, ToolStatus } from "./types.js";

const writable = async (dir: string): Promise<boolean> => {
  try {
    await mkdir(dir, { recursive: true });
    const probe = join(dir, `.doctor-${process.pid}`);
    await writeFile(probe, "ok");
    await rm(probe);
    return true;
  } catch {
    return false;
  }
};

const probeIndex = async (url: string): Promise<{ reachable: boolean; problem?: string }> => {
  try {
    const response = await fetch(url.endsWith("/") ? url : `${url}/`, {
      method: "GET",
      signal: AbortSignal.timeout(5_000),
      headers: { Accept: "text/html" },
    });
    await response.body?.cancel();
    return response.ok ? { reachable: true } : { reachable: false, problem: `HTTP ${response.status}` };
  } catch (error) {
    return { reachable: false, problem: (error as Error).message };
  }
};

/** What an operator needs to know to make installs work, and exactly what to fix. */
export const runDoctor = async (
  config: PackageGuardConfig,
  python: PythonEnvironment,
  scan: () => Promise<{ probe(signal?: AbortSignal): Promise<ScannerHealth> }>,
): Promise<DoctorReport> => {
  const found = await python.tools();
  const fixes: string[] = [];
  const tool = (
    name: string,
    info: { path: string; version: string } | null,
    configured: string,
    key: string,
    required: boolean,
  ): ToolStatus => {
    if (info) return { name, path: info.path, version: info.version, ok: true };
    if (required)
      fixes.push(
        `Install ${name} or set plugins.entries.package-guard.config.python.${key} to its absolute path (now ` +
          `'${configured}')`,
      );
    return { name, path: null, version: null, ok: !required, problem: `not found: '${configured}'` };
  };
  const wantUv = config.python.installer === "uv";
  const wantPipAudit = config.scan.scanner === "pip-audit";
  const tools = [
    tool("uv", found.uv, config.python.uv, "uv", wantUv),
    tool("python", found.python, config.python.python, "python", true),
    tool("pip-audit", found.pipAudit, config.python.pipAudit, "pipAudit", wantPipAudit),
  ];
  const installer =
    config.python.installer === "pip"
      ? found.python
        ? "pip"
        : null
      : found.uv
        ? "uv"
        : config.python.installer === "auto" && found.python
          ? "pip"
          : null;
  if (installer === "pip" && config.python.installer === "auto")
    fixes.push("uv was not found: installs fall back to pip (slower). Install uv for speed.");

  const stateWritable = await writable(config.dataDir);
  if (!stateWritable) fixes.push(`Make ${config.dataDir} writable by the gateway user`);

  const index = config.index.url.startsWith("file:") ? { reachable: null } : await probeIndex(config.index.url);
  if (index.reachable === false)
    fixes.push(
      `The package index ${config.index.url} is not reachable (${index.problem}); check index.url and the network`,
    );

  // The scanner's own probe: for osv-db the data's layout, count, newest change and age; for pip-audit one known
  // pin through the configured service.
  let scanner: ScannerHealth;
  try {
    scanner = await (await scan()).probe(AbortSignal.timeout(config.scan.timeoutMs));
  } catch (error) {
    scanner = {
      ok: false,
      backend: config.scan.scanner,
      problem: error instanceof Error ? error.message : String(error),
    };
  }
  if (!scanner.ok) fixes.push(scanner.fix ?? `The ${scanner.backend} scanner is not usable: ${scanner.problem}`);
  for (const dir of config.index.findLinks) {
    await access(dir).catch(() => fixes.push(`index.findLinks entry ${dir} does not exist`));
  }
  const releases = await releaseChecks(config);
  fixes.push(...releases.fixes);
  const ok =
    tools.every((t) => t.ok) &&
    installer !== null &&
    stateWritable &&
    index.reachable !== false &&
    scanner.ok &&
    releases.ok;
  return {
    ok,
    tools,
    installer,
    stateDir: { path: config.dataDir, writable: stateWritable },
    index: { url: config.index.url, ...index },
    scanner,
    releases,
    config: {
      defaultMaturity: config.defaultMaturity,
      agents: config.agents,
      whitelistFile: config.whitelist.file,
      overlayFile: config.whitelist.overlayFile,
      venvRoot: config.venvRoot,
      auditFile: config.audit.file,
      scan: {
        scanner: config.scan.scanner,
        service: config.scan.vulnerabilityService,
        osvUrl: config.scan.osvUrl,
        osvDbDir: config.scan.osvDbDir,
        osvDbUrl: config.scan.osvDbUrl,
        maxAdvisoryAgeDays: config.scan.maxAdvisoryAgeDays,
        rescanHours: config.scan.rescanHours,
        cacheTtlHours: config.scan.cacheTtlHours,
        ignoreRules: config.scan.ignore.length,
      },
      index: {
        url: config.index.url,
        onlyBinary: config.index.onlyBinary,
        excludeNewer: config.index.excludeNewer,
        excludeNewerPackages: config.index.excludeNewerPackages,
      },
    },
    fixes,
  };
};
