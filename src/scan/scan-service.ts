import type { IgnoreRule } from "../config.js";
import { isPackageGuardError, PackageGuardError } from "../errors.js";
import type { ScanCache } from "./cache.js";
import { applyIgnoreRules, type IgnoredFinding } from "./ignore.js";
import {
  isMalware,
  pinKey,
  pinLabel,
  type AdvisorySourceInfo,
  type Finding,
  type ScanPin,
  type Scanner,
  type ScannerHealth,
} from "./types.js";

export type ScanOutcome = {
  /** Findings that block: malware, and vulnerabilities no live ignore rule covers. */
  findings: Finding[];
  /** The malware among `findings` (OSV MAL- records): never ignorable, never overridable. */
  malware: Finding[];
  ignored: IgnoredFinding[];
  /** Pins answered from the cache. */
  fromCache: number;
  /** Pins sent to the scanner. */
  scanned: number;
  scannerId: string;
  /** The advisory data the results come from: its identity, version and (offline) age. */
  source: AdvisorySourceInfo;
};

export type ScanOptions = {
  /** Ask the scanner about every pin, even cached ones (a re-scan); the answers still refresh the cache. */
  fresh?: boolean;
};

// Whatever went wrong inside a scanner, the install is blocked as "could not scan", never as something else.
const asUnavailable = (scannerId: string, error: unknown): PackageGuardError =>
  isPackageGuardError(error)
    ? error
    : new PackageGuardError(
        "SCANNER_UNAVAILABLE",
        `The ${scannerId} scanner failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );

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

  get scannerId(): string {
    return this.scanner.id;
  }

  /** The advisory data scans would use now; SCANNER_UNAVAILABLE when it is unusable. */
  async source(signal?: AbortSignal): Promise<AdvisorySourceInfo> {
    return this.scanner.source(signal).catch((error: unknown) => {
      throw asUnavailable(this.scanner.id, error);
    });
  }

  probe(signal?: AbortSignal): Promise<ScannerHealth> {
    return this.scanner.probe(signal);
  }

  async scan(pins: ScanPin[], signal?: AbortSignal, options: ScanOptions = {}): Promise<ScanOutcome> {
    const unique = [...new Map(pins.map((p) => [pinKey(p), p])).values()];
    // SECURITY: asked first, so unusable data (an unknown layout, too old) fails even when every pin is cached.
    const source = await this.source(signal);
    const sourceKey = `${this.scanner.id}|${source.id}|${source.version}`;
    const known = new Map<string, Finding[]>();
    const misses: ScanPin[] = [];
    for (const pin of unique) {
      const cached = options.fresh ? undefined : this.cache.get(sourceKey, pin);
      if (cached === undefined) misses.push(pin);
      else known.set(pinKey(pin), cached);
    }
    if (misses.length > 0) {
      const fresh = await this.scanner.scan(misses, signal).catch((error: unknown) => {
        throw asUnavailable(this.scanner.id, error);
      });
      for (const pin of misses) {
        const findings = fresh.get(pinKey(pin));
        // SECURITY: a pin the scanner did not answer for is unscanned, never clean.
        if (findings === undefined) {
          throw new PackageGuardError(
            "SCANNER_UNAVAILABLE",
            `The ${this.scanner.id} scanner returned no result for ${pinLabel(pin)}; the install is blocked until ` +
              `it can be scanned.`,
            { details: { pin: pinLabel(pin) } },
          );
        }
        known.set(pinKey(pin), findings);
        this.cache.set(sourceKey, pin, findings);
      }
      // The cache only saves time; failing to persist it must not fail a scan that succeeded.
      await this.cache.flush().catch(() => undefined);
    }
    const all = unique.flatMap((pin) => known.get(pinKey(pin)) ?? []);
    const { kept, ignored } = applyIgnoreRules(all, this.ignore, this.now());
    return {
      findings: kept,
      malware: kept.filter(isMalware),
      ignored,
      fromCache: unique.length - misses.length,
      scanned: misses.length,
      scannerId: this.scanner.id,
      source,
    };
  }
}
