import { PackageGuardError } from "../errors.js";
import { withFileLock } from "./file-lock.js";
import { readStateFile, writeFileAtomic } from "./fs.js";

/**
 * One small JSON state file (approvals, overrides): read without a lock, edited under a cross-process lock and
 * replaced atomically. SECURITY: a file that is there but unreadable fails closed (CONFIG_INVALID) and is never
 * overwritten behind the operator's back; only a missing file reads as empty.
 */
export class JsonStore<F> {
  constructor(
    private readonly file: string,
    /** How messages name it: "The approvals file". */
    private readonly what: string,
    private readonly empty: () => F,
    private readonly valid: (parsed: unknown) => parsed is F,
    private readonly lockTimeoutMs = 5_000,
  ) {}

  async read(): Promise<F> {
    // SECURITY: never through a link (a planted approvals.json would grant whatever it says).
    const text = await readStateFile(this.file, this.what);
    if (text === null) return this.empty();
    try {
      const parsed: unknown = JSON.parse(text);
      if (!this.valid(parsed)) throw new Error("unexpected shape");
      return parsed;
    } catch (error) {
      throw new PackageGuardError(
        "CONFIG_INVALID",
        `${this.what} ${this.file} is unreadable (${(error as Error).message}); fix or remove it`,
      );
    }
  }

  /** Read, change in place, write back: all under the lock (BUSY when it cannot be had in time). */
  async edit<T>(change: (file: F) => T): Promise<T> {
    return withFileLock(this.file, { what: this.what, timeoutMs: this.lockTimeoutMs }, async (assertHeld) => {
      const file = await this.read();
      const result = change(file);
      assertHeld();
      await writeFileAtomic(this.file, `${JSON.stringify(file, null, 2)}\n`, { what: this.what });
      return result;
    });
  }
}
