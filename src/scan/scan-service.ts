import type { IgnoreRule } from "../config.js";
import { isPackageGuardError, PackageGuardError } from "../errors.js";
import type { ScanCache } from "./cache.js";
import { applyIgnoreRules, type IgnoredFinding } from "./ignore.js";
import { pinKey, type Finding, type ScanPin, type Scanner } from "./types.js";

export type ScanOutcome = {
  /** Findings that block: not covered by a live ignore rule. */
  findings: Finding[];
  ignored: IgnoredFinding[];
  /** Pins answered from the cache. */
  fromCache: number;
  /** Pins sent to the scanner. */
  scanned: number;
  scannerId: string;
};

/** Step 5 of the pipeline: cache first, one scanner call for the rest, then the operator's ignore rules. */
export class VulnerabilityScanService {
  private readonly scanner: Scanner;
  private readonly cache: ScanCache;
  private readonly ignore: IgnoreRule[];
  private readonly now: () => Date;

  constructor(o: { scanner: Scanner; cache: ScanCache; ignore: IgnoreRule[]; now?: () => Date }) {
    this.scanner = o.scanner;
    this.cache = o.cache;
    this.ignore = o.ignore;
    this.now = o.now ?? (() => new Date());
  }

  async scan(pins: ScanPin[], signal?: AbortSignal): Promise<ScanOutcome> {
    const unique = [...new Map(pins.map((p) => [pinKey(p), p])).values()];
    const known = new Map<string, Finding[]>();
    const misses: ScanPin[] = [];
    for (const pin of unique) {
      const cached = this.cache.get(this.scanner.id, pin);
      if (cached === undefined) misses.push(pin);
      else known.set(pinKey(pin), cached);
    }
    if (misses.length > 0) {
      const fresh = await this.scanner.scan(misses, signal).catch((error: unknown) => {
        // Whatever went wrong inside a scanner, the install is blocked as "could not scan", never as something else.
        throw isPackageGuardError(error)
          ? error
          : new PackageGuardError(
              "SCANNER_UNAVAILABLE",
              `The ${this.scanner.id} scanner failed: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            );
      });
      for (const pin of misses) {
        const findings = fresh.get(pinKey(pin));
        // SECURITY: a pin the scanner did not answer for is unscanned, never clean.
        if (findings === undefined) {
          throw new PackageGuardError(
            "SCANNER_UNAVAILABLE",
            `The ${this.scanner.id} scanner returned no result for ${pinKey(pin)}; the install is blocked until it ` +
              `can be scanned.`,
            { details: { pin: pinKey(pin) } },
          );
        }
        known.set(pinKey(pin), findings);
        this.cache.set(this.scanner.id, pin, findings);
      }
      // The cache only saves time; failing to persist it must not fail a scan that succeeded.
      await this.cache.flush().catch(() => undefined);
    }
    const all = unique.flatMap((pin) => known.get(pinKey(pin)) ?? []);
    const { kept, ignored } = applyIgnoreRules(all, this.ignore, this.now());
    return {
      findings: kept,
      ignored,
      fromCache: unique.length - misses.length,
      scanned: misses.length,
      scannerId: this.scanner.id,
    };
  }
}
