import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PackageGuardError } from "../errors.js";
import { childEnv } from "../util/env.js";
import { describeFailure, type RunResult, type Runner } from "../util/exec.js";
import { redactUrl } from "../util/redact.js";
import { checkedPins } from "./pins.js";
import { parsePipAuditJson } from "./pip-audit-output.js";
import {
  pinKey,
  pinLabel,
  type AdvisorySourceInfo,
  type Finding,
  type ScanPin,
  type Scanner,
  type ScannerHealth,
} from "./types.js";

export type PipAuditOptions = {
  /** The pip-audit executable (a path or a name found on PATH). */
  pipAudit: string;
  service: "pypi" | "osv";
  /** The full OSV query endpoint (pip-audit POSTs to it as given), e.g. `https://api.osv.dev/v1/query`. */
  osvUrl: string | null;
  /** pip-audit's HTTP cache goes to `<cacheDir>/pip-audit`. */
  cacheDir: string;
  timeoutMs: number;
  /** The pip-audit version found (doctor's tool probe); part of the cache key, since results depend on it. */
  version?: string | null;
};

// requests 2.19.0 has known vulnerabilities in every advisory source (PYSEC-2018-28, CVE-2018-18074): a service that
// calls it clean is empty or is not an advisory service at all.
export const PROBE_PIN: ScanPin = { ecosystem: "PyPI", name: "requests", version: "2.19.0" };

/** The argv after the executable, exactly as run; exported so a test can pin it down. */
export const pipAuditArgs = (requirementsFile: string, o: PipAuditOptions): string[] => [
  "-r",
  requirementsFile,
  // Pins are already resolved: no resolution, and no pip, so nothing is downloaded or built to audit it.
  "--no-deps",
  "--disable-pip",
  "-f",
  "json",
  "--progress-spinner",
  "off",
  "-s",
  o.service,
  ...(o.service === "osv" && o.osvUrl ? ["--osv-url", o.osvUrl] : []),
  "--cache-dir",
  join(o.cacheDir, "pip-audit"),
];

const unavailable = (message: string, result: RunResult): PackageGuardError =>
  new PackageGuardError("SCANNER_UNAVAILABLE", message, { details: { failure: describeFailure(result) } });

// A Python traceback ends with the exception that says what went wrong; the frames above it do not.
const lastLine = (stderr: string): string => stderr.trim().split("\n").at(-1)?.trim().slice(0, 300) ?? "";

/** Runs pip-audit on a requirements file of exactly the given pins and maps its JSON report to findings. */
export class PipAuditScanner implements Scanner {
  readonly id: string;

  constructor(
    private readonly options: PipAuditOptions,
    private readonly runner: Runner,
  ) {
    // Results depend on the source asked, so each source caches apart from the others.
    this.id =
      options.service === "osv" && options.osvUrl
        ? `pip-audit:osv(${redactUrl(options.osvUrl)})`
        : `pip-audit:${options.service}`;
  }

  async source(): Promise<AdvisorySourceInfo> {
    return { id: this.id, version: `pip-audit ${this.options.version ?? "unknown"}` };
  }

  async scan(pins: ScanPin[], signal?: AbortSignal): Promise<Map<string, Finding[]>> {
    const checked = checkedPins(pins);
    if (checked.length === 0) return new Map();
    const other = checked.find((p) => p.ecosystem !== "PyPI");
    if (other)
      throw new PackageGuardError(
        "SCANNER_UNAVAILABLE",
        `pip-audit checks PyPI packages only; ${pinLabel(other)} (${other.ecosystem}) cannot be scanned with it.`,
      );
    const dir = await mkdtemp(join(tmpdir(), "package-guard-scan-"));
    try {
      const file = join(dir, "requirements.txt");
      // Rebuilt from the checked parts, so nothing but `name==version` lines can reach pip-audit.
      await writeFile(file, checked.map((p) => `${p.name}==${p.version}\n`).join(""), { mode: 0o600 });
      const result = await this.runner(this.options.pipAudit, pipAuditArgs(file, this.options), {
        timeoutMs: this.options.timeoutMs,
        cwd: dir,
        // A HOME of its own: pip-audit creates its platformdirs cache there even when --cache-dir is given.
        env: childEnv({ HOME: dir, XDG_CACHE_HOME: join(this.options.cacheDir, "pip-audit") }),
        ...(signal ? { signal } : {}),
      });
      return this.interpret(result, checked);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** One pin with known vulnerabilities, through the configured service: it must answer, and not call it clean. */
  async probe(signal?: AbortSignal): Promise<ScannerHealth> {
    const base: ScannerHealth = {
      ok: true,
      backend: "pip-audit",
      source: this.serviceName(),
      version: `pip-audit ${this.options.version ?? "unknown"}`,
    };
    try {
      const findings = (await this.scan([PROBE_PIN], signal)).get(pinKey(PROBE_PIN)) ?? [];
      if (findings.length === 0)
        return {
          ...base,
          ok: false,
          advisories: 0,
          problem:
            `The ${this.serviceName()} reports no advisories for ${pinLabel(PROBE_PIN)}, which has known ` +
            `vulnerabilities: it is empty or not an advisory service, and every scan would pass.`,
          fix: "Check scan.vulnerabilityService and scan.osvUrl (a mirror must serve the full OSV data)",
        };
      return { ...base, advisories: findings.length };
    } catch (error) {
      return {
        ...base,
        ok: false,
        problem: error instanceof Error ? error.message : String(error),
        fix:
          "Install pip-audit (or set python.pipAudit), check that the vulnerability service is reachable, or use " +
          'scan.scanner "osv-db"',
      };
    }
  }

  private serviceName(): string {
    return this.options.service === "osv"
      ? `OSV service (${redactUrl(this.options.osvUrl ?? "https://api.osv.dev/v1/query")})`
      : "PyPI vulnerability service (https://pypi.org)";
  }

  private interpret(result: RunResult, pins: ScanPin[]): Map<string, Finding[]> {
    const { pipAudit, timeoutMs } = this.options;
    const service = this.serviceName();
    if (result.spawnError) {
      throw unavailable(
        `pip-audit could not be started from "${pipAudit}" (${result.spawnError}). Install pip-audit, set ` +
          `python.pipAudit to its path, or use scan.scanner "osv-db".`,
        result,
      );
    }
    if (result.timedOut) {
      throw unavailable(
        `pip-audit did not finish within ${timeoutMs} ms. Check that the ${service} is reachable, or raise ` +
          `scan.timeoutMs.`,
        result,
      );
    }
    if (result.canceled) throw unavailable("The vulnerability scan was canceled before pip-audit finished.", result);
    // 0 = clean, 1 = vulnerabilities found; but a Python traceback also exits 1, so the report must parse either way.
    if (result.exitCode !== 0 && result.exitCode !== 1) {
      throw unavailable(`pip-audit failed (${describeFailure(result)}).`, result);
    }
    if (result.exitCode === 1 && !result.stdout.trim()) {
      throw unavailable(
        `pip-audit failed without a report (exit 1: ${lastLine(result.stderr) || "no error output"}). Check that the ` +
          `${service} is reachable and answering.`,
        result,
      );
    }
    try {
      return parsePipAuditJson(result.stdout, pins);
    } catch (error) {
      if (error instanceof PackageGuardError) {
        throw new PackageGuardError(error.code, error.message, {
          details: { failure: describeFailure(result), pins: pins.map(pinLabel).slice(0, 50) },
          cause: error,
        });
      }
      throw error;
    }
  }
}
