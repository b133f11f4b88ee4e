import { toPackageGuardError } from "../errors.js";

export type SchedulerDeps = {
  rescan(trigger: string): Promise<unknown>;
  /** The advisory data a re-scan would use now; throws when it is unusable. */
  currentVersion(): Promise<string>;
  /** When the last successful re-scan ran, and against which data. */
  last(): Promise<{ at: number | null; version: string | null }>;
  /** A scheduled re-scan at least this often (scan.rescanHours); 0: only when the data changes. */
  everyMs: number;
  now?: () => number;
  log: { info(message: string): void; warn(message: string): void };
};

export type Timers = {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
};

const realTimers: Timers = {
  setInterval: (fn, ms) => {
    const handle = setInterval(fn, ms);
    // Never keeps a CLI process or the gateway's shutdown waiting.
    handle.unref();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

// After a failed re-scan, wait this long before the next attempt on the same data (each failure is logged).
const RETRY_MS = 15 * 60_000;

/**
 * The background service of issue 15.4: each tick re-scans what is installed when the advisory data differs from what
 * the last re-scan used (an update by the CLI, a `git pull` of the directory), or when the last one is older than
 * scan.rescanHours. It works from what is on disk, so a gateway restart loses nothing.
 */
export class RescanScheduler {
  private handle: unknown;
  private timers: Timers = realTimers;
  private running: Promise<string> | undefined;
  private failed: { at: number; version: string | null } | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: SchedulerDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(pollMs: number, timers: Timers = realTimers): void {
    if (this.handle !== undefined) return;
    this.timers = timers;
    void this.tick();
    this.handle = timers.setInterval(() => void this.tick(), pollMs);
  }

  async stop(): Promise<void> {
    if (this.handle !== undefined) this.timers.clearInterval(this.handle);
    this.handle = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One check; what it did ("data-changed", "scheduled", "idle", "failed"). Ticks never overlap. */
  tick(): Promise<string> {
    this.running ??= this.check().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async check(): Promise<string> {
    let version: string | null = null;
    try {
      version = await this.deps.currentVersion();
    } catch {
      // Unusable data: a scheduled re-scan still runs, and records why it fails.
    }
    const last = await this.deps.last();
    const now = this.now();
    const trigger =
      version !== null && version !== last.version
        ? "data-changed"
        : this.deps.everyMs > 0 && (last.at === null || now - last.at >= this.deps.everyMs)
          ? "scheduled"
          : null;
    if (trigger === null) return "idle";
    if (this.failed && this.failed.version === version && now - this.failed.at < RETRY_MS) return "idle";
    try {
      await this.deps.rescan(trigger === "data-changed" ? "advisory data changed" : "scheduled");
      this.failed = undefined;
      return trigger;
    } catch (error) {
      this.failed = { at: now, version };
      this.deps.log.warn(`package-guard: re-scan failed: ${toPackageGuardError(error).message}`);
      return "failed";
    }
  }
}
