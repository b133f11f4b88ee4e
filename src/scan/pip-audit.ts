import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PackageGuardError } from "../errors.js";
import { childEnv } from "../util/env.js";
import { describeFailure, type RunResult, type Runner } from "../util/exec.js";
import { checkedPins } from "./pins.js";
import { parsePipAuditJson } from "./pip-audit-output.js";
import { pinKey, type Finding, type ScanPin, type Scanner } from "./types.js";

export type PipAuditOptions = {
  /** The pip-audit executable (a path or a name found on PATH). */
  pipAudit: string;
  service: "pypi" | "osv";
  /** The full OSV query endpoint (pip-audit POSTs to it as given), e.g. `https://api.osv.dev/v1/query`. */
  osvUrl: string | null;
  /** pip-audit's HTTP cache goes to `<cacheDir>/pip-audit`. */
  cacheDir: string;
  timeoutMs: number;
};

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

// The id lands in audit records and the cache file; a mirror's password must not.
const withoutCredentials = (url: string): string => {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url;
  }
};

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
        ? `pip-audit:osv(${withoutCredentials(options.osvUrl)})`
        : `pip-audit:${options.service}`;
  }

  async scan(pins: ScanPin[], signal?: AbortSignal): Promise<Map<string, Finding[]>> {
    const checked = checkedPins(pins);
    if (checked.length === 0) return new Map();
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

  private interpret(result: RunResult, pins: ScanPin[]): Map<string, Finding[]> {
    const { pipAudit, timeoutMs } = this.options;
    const service =
      this.options.service === "osv"
        ? `OSV service (${withoutCredentials(this.options.osvUrl ?? "https://api.osv.dev/v1/query")})`
        : "PyPI vulnerability service (https://pypi.org)";
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
          details: { failure: describeFailure(result), pins: pins.map(pinKey).slice(0, 50) },
          cause: error,
        });
      }
      throw error;
    }
  }
}
