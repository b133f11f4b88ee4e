import type { PackageGuardConfig } from "../config.js";
import type { WhitelistSources } from "../policy/whitelist-sources.js";
import type { PythonEnvironment } from "../python/environment.js";
import type { ScannerHealth } from "../scan/types.js";

/** ok: nothing to do; warn: installs work, but something is off; fail: installs will fail (doctor exits 1). */
export type CheckStatus = "ok" | "warn" | "fail";

/** One line of the health check: what was checked, what was found, and for a problem exactly what to do. */
export type DoctorCheck = { check: string; status: CheckStatus; detail: string; fix?: string };

export type DoctorContext = {
  config: PackageGuardConfig;
  python: PythonEnvironment;
  whitelist: WhitelistSources;
  /** The scan service; its probe() is the scanner's own health check. */
  scan: () => Promise<{ probe(signal?: AbortSignal): Promise<ScannerHealth> }>;
  /** The gateway's agent ids (OpenClaw's `agents.entries`), or null when the host config is not at hand. */
  hostAgents: readonly string[] | null;
  /** Whether the index answered (whitelist ranges are checked against it only then). */
  indexReachable?: boolean;
  signal?: AbortSignal;
};

/**
 * A group of checks. Doctor runs each in turn; add a section (e.g. cooldown, yanked releases) by appending one to
 * DOCTOR_SECTIONS in doctor.ts.
 */
export type DoctorSection = (ctx: DoctorContext) => Promise<DoctorCheck[]>;
