import { access, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ConfigProblem } from "../config.js";
import { toPackageGuardError, type PackageGuardError } from "../errors.js";
import type { PythonChoice } from "../python/interpreter.js";
import type { ScannerHealth } from "../scan/types.js";
import { redactDeep } from "../util/redact.js";
import { agentChecks, pythonCheck } from "./doctor-host.js";
import { releaseSection } from "./doctor-releases.js";
import type { DoctorCheck, DoctorContext, DoctorSection } from "./doctor-types.js";
import { whitelistChecks } from "./doctor-whitelist.js";
import type { ToolStatus } from "./types.js";

export type { CheckStatus, DoctorCheck, DoctorContext, DoctorSection } from "./doctor-types.js";

export type DoctorReport = {
  /** False when anything would make installs fail (doctor exits 1; 2 when the plugin block itself is invalid). */
  ok: boolean;
  configValid: boolean;
  checks: DoctorCheck[];
  tools: ToolStatus[];
  installer: "uv" | "pip" | null;
  python: PythonChoice | null;
  stateDir: { path: string; writable: boolean } | null;
  index: { url: string; reachable: boolean | null; problem?: string } | null;
  /** The scanner's probe (scan/types.ts ScannerHealth): data layout, count, newest change, version, age. */
  scanner: ScannerHealth | null;
  config: Record<string, unknown> | null;
  /** Every problem's fix, failures first. */
  fixes: string[];
};

/**
 * Sections that need no tool output: the whitelist, the gateway's agents, and the release checks (cooldown, yanked
 * releases, the index's upload times). Append more here.
 */
export const DOCTOR_SECTIONS: DoctorSection[] = [whitelistChecks, agentChecks, (ctx) => releaseSection(ctx)];

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
    // fetch refuses a URL with user:password@; uv sends them as Basic credentials, and so does this probe.
    const target = new URL(url.endsWith("/") ? url : `${url}/`);
    const headers: Record<string, string> = { Accept: "text/html" };
    if (target.username || target.password) {
      const pair = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
      headers.Authorization = `Basic ${Buffer.from(pair).toString("base64")}`;
      target.username = "";
      target.password = "";
    }
    const response = await fetch(target, { method: "GET", signal: AbortSignal.timeout(5_000), headers });
    await response.body?.cancel();
    return response.ok ? { reachable: true } : { reachable: false, problem: `HTTP ${response.status}` };
  } catch (error) {
    return { reachable: false, problem: (error as Error).message };
  }
};

// The scanner's own probe: for osv-db the data's layout, count, newest change and age; for pip-audit one known pin
// through the configured service. Bounded by scan.timeoutMs.
const scannerHealth = async (ctx: DoctorContext): Promise<ScannerHealth> => {
  try {
    return await (await ctx.scan()).probe(AbortSignal.timeout(ctx.config.scan.timeoutMs));
  } catch (error) {
    return {
      ok: false,
      backend: ctx.config.scan.scanner,
      problem: toPackageGuardError(error, "SCANNER_UNAVAILABLE").message,
      fix: "Correct the scan block of the plugin configuration",
    };
  }
};

const toolCheck = (
  name: string,
  info: { path: string; version: string } | null,
  configured: string,
  key: string,
  required: boolean,
): { status: ToolStatus; check: DoctorCheck } => {
  if (info)
    return {
      status: { name, path: info.path, version: info.version, ok: true },
      check: { check: name, status: "ok", detail: `${info.path} (${info.version})` },
    };
  const fix = `Install ${name} or set python.${key} to its absolute path (now '${configured}')`;
  return {
    status: { name, path: null, version: null, ok: !required, problem: `not found: '${configured}'` },
    check: {
      check: name,
      status: required ? "fail" : "warn",
      detail: `not found: '${configured}'${required ? "" : " (not needed by this configuration)"}`,
      ...(required ? { fix } : {}),
    },
  };
};

const fixesOf = (checks: DoctorCheck[]): string[] => [
  ...checks.filter((c) => c.status === "fail" && c.fix).map((c) => c.fix!),
  ...checks.filter((c) => c.status === "warn" && c.fix).map((c) => c.fix!),
];

/** The health check: everything that would make an install fail, each with its fix. */
export const runDoctor = async (
  ctx: DoctorContext,
  sections: readonly DoctorSection[] = DOCTOR_SECTIONS,
): Promise<DoctorReport> => {
  const { config } = ctx;
  const found = await ctx.python.tools();
  const choice = await ctx.python.pythonChoice();
  const checks: DoctorCheck[] = [{ check: "config", status: "ok", detail: "the plugin block is valid" }];

  const uv = toolCheck("uv", found.uv, config.python.uv, "uv", config.python.installer === "uv");
  const pipAudit = toolCheck(
    "pip-audit",
    found.pipAudit,
    config.python.pipAudit,
    "pipAudit",
    config.scan.scanner === "pip-audit",
  );
  const python = pythonCheck(choice, found.python?.version ?? null, config.python.python);
  checks.push(python, uv.check, pipAudit.check);
  const tools: ToolStatus[] = [
    uv.status,
    {
      name: "python",
      path: found.python?.path ?? null,
      version: found.python?.version ?? null,
      ok: found.python !== null,
      ...(found.python ? {} : { problem: python.detail }),
    },
    pipAudit.status,
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
  if (installer === null) {
    checks.push({
      check: "installer",
      status: "fail",
      detail: `no installer: python.installer is '${config.python.installer}'`,
      fix: "Install uv (and Python), or set python.installer to 'auto'",
    });
  } else if (installer === "pip" && config.python.installer === "auto") {
    checks.push({
      check: "installer",
      status: "warn",
      detail: "uv was not found: installs fall back to python -m venv + pip (slower)",
      fix: "Install uv for speed",
    });
  } else checks.push({ check: "installer", status: "ok", detail: installer });

  const stateWritable = await writable(config.dataDir);
  checks.push(
    stateWritable
      ? { check: "state dir", status: "ok", detail: `${config.dataDir} is writable` }
      : {
          check: "state dir",
          status: "fail",
          detail: `${config.dataDir} is not writable`,
          fix: `Make ${config.dataDir} writable by the gateway user`,
        },
  );

  const index = config.index.url.startsWith("file:") ? { reachable: null } : await probeIndex(config.index.url);
  checks.push(
    index.reachable === false
      ? {
          check: "index",
          status: "fail",
          detail: `${config.index.url} does not answer (${index.problem})`,
          fix: "Check index.url and the network (and a proxy's CA bundle: SSL_CERT_FILE)",
        }
      : { check: "index", status: "ok", detail: `${config.index.url} answers` },
  );
  for (const dir of config.index.findLinks) {
    if (
      !(await access(dir).then(
        () => true,
        () => false,
      ))
    )
      checks.push({
        check: "index",
        status: "fail",
        detail: `index.findLinks entry ${dir} does not exist`,
        fix: `Create ${dir} or remove it from index.findLinks`,
      });
  }

  const health = await scannerHealth(ctx);
  const counted =
    health.advisories === undefined
      ? ""
      : `, ${health.advisories} advisories${health.newest ? `, newest ${health.newest}` : ""}` +
        `${health.ageDays === undefined ? "" : `, ${health.ageDays} days old`}`;
  checks.push(
    health.ok
      ? { check: "scanner", status: "ok", detail: `${config.scan.scanner}: ${health.source ?? "answers"}${counted}` }
      : {
          check: "scanner",
          status: "fail",
          detail: `${config.scan.scanner}: ${health.problem ?? "does not answer"}; installs fail closed`,
          fix: health.fix ?? "See the scan block of the plugin configuration",
        },
  );

  const sectionCtx = { ...ctx, indexReachable: index.reachable !== false };
  for (const section of sections) checks.push(...(await section(sectionCtx)));

  // SECURITY: the report shows URLs from the config (index, OSV mirror): their credentials are masked.
  return redactDeep({
    ok: !checks.some((c) => c.status === "fail"),
    configValid: true,
    checks,
    tools,
    installer,
    python: choice,
    stateDir: { path: config.dataDir, writable: stateWritable },
    index: { url: config.index.url, ...index },
    scanner: health,
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
    fixes: fixesOf(checks),
  });
};

// "/scan/cacheTtlHours" -> ".scan.cacheTtlHours"
const dotted = (pointer: string): string => (pointer === "/" ? "" : pointer.replaceAll("/", "."));

/** The report when the plugin block itself is invalid: each problem with its JSON path; nothing else can be judged. */
export const invalidConfigReport = (problem: PackageGuardError): DoctorReport => {
  const problems = (problem.details?.problems as ConfigProblem[] | undefined) ?? [];
  const checks: DoctorCheck[] =
    problems.length > 0
      ? problems.map((p) => ({
          check: "config",
          status: "fail" as const,
          detail: `${p.path}: ${p.message}`,
          fix: `Correct plugins.entries.package-guard.config${dotted(p.path)} in openclaw.json`,
        }))
      : [{ check: "config", status: "fail", detail: problem.message, fix: "Correct the configuration file named" }];
  checks.push({
    check: "guard",
    status: "fail",
    detail: "closed: every install is refused until the configuration is valid; nothing else was checked",
  });
  return {
    ok: false,
    configValid: false,
    checks,
    tools: [],
    installer: null,
    python: null,
    stateDir: null,
    index: null,
    scanner: null,
    config: null,
    fixes: fixesOf(checks),
  };
};

/** Doctor through whatever opens the services: a guard closed by an invalid block still gets its report. */
export const doctorVia = async (
  getServices: () => Promise<{ operator: { doctor(hostAgents: readonly string[] | null): Promise<DoctorReport> } }>,
  hostAgents: readonly string[] | null,
): Promise<DoctorReport> => {
  let services;
  try {
    services = await getServices();
  } catch (error) {
    const e = toPackageGuardError(error);
    if (e.code === "CONFIG_INVALID") return invalidConfigReport(e);
    throw e;
  }
  return services.operator.doctor(hostAgents);
};
