import { isPackageGuardError } from "../errors.js";
import { unavailable, type AdvisorySource, type SourceState } from "./advisory-source.js";
import { rulesFor } from "./ecosystems.js";
import type { OsvAdvisory } from "./osv-advisory.js";
import { matchAdvisories } from "./osv-match.js";
import { checkedPins } from "./pins.js";
import { DirectorySource } from "./tree-source.js";
import {
  pinKey,
  pinLabel,
  type AdvisorySourceInfo,
  type Finding,
  type ScanPin,
  type Scanner,
  type ScannerHealth,
} from "./types.js";

const DAY_MS = 86_400_000;

export type OsvDbOptions = {
  /** An older database fails every scan (SCANNER_UNAVAILABLE); null: no limit. */
  maxAgeDays?: number | null;
  now?: () => Date;
};

/**
 * The offline backend: OSV advisories from a local source (an advisory directory, or the managed database), matched
 * per ecosystem. Only the packages asked about are read.
 */
export class OsvDbScanner implements Scanner {
  readonly id: string;
  private readonly maxAgeDays: number | null;
  private readonly now: () => Date;

  private readonly store: AdvisorySource;

  /** A string is an advisory directory (see DirectorySource). */
  constructor(store: AdvisorySource | string, options: OsvDbOptions = {}) {
    this.maxAgeDays = options.maxAgeDays ?? null;
    this.now = options.now ?? (() => new Date());
    this.store = typeof store === "string" ? new DirectorySource(store, () => this.now().getTime()) : store;
    this.id = "osv-db";
  }

  async source(): Promise<AdvisorySourceInfo> {
    const state = await this.usableState();
    return this.describe(state);
  }

  async scan(pins: ScanPin[], signal?: AbortSignal): Promise<Map<string, Finding[]>> {
    const checked = checkedPins(pins);
    const result = new Map<string, Finding[]>();
    if (checked.length === 0) return result;
    for (const pin of checked) {
      // A version that cannot be placed in the ecosystem's order cannot be called clean.
      if (!rulesFor(pin.ecosystem)!.isVersion(pin.version))
        throw unavailable(
          `Cannot check ${pinLabel(pin)} against the offline advisory database: "${pin.version}" is not a ` +
            `${pin.ecosystem} version.`,
        );
    }
    const state = await this.usableState();
    const byPackage = new Map<string, OsvAdvisory[]>();
    for (const pin of checked) {
      if (signal?.aborted) throw unavailable("The vulnerability scan was canceled before it finished.");
      const key = `${pin.ecosystem}\u0000${pin.name}`;
      let advisories = byPackage.get(key);
      if (advisories === undefined) {
        advisories = await this.store.advisoriesFor(state, pin.ecosystem, pin.name);
        byPackage.set(key, advisories);
      }
      result.set(pinKey(pin), matchAdvisories(advisories, pin));
    }
    return result;
  }

  async probe(): Promise<ScannerHealth> {
    try {
      const state = await this.store.state();
      const info = this.describe(state);
      const base: ScannerHealth = {
        ok: true,
        backend: "osv-db",
        advisories: state.advisories,
        source: state.origin ?? state.location,
        version: state.version,
        layout: state.layout,
        ...(info.newest ? { newest: info.newest } : {}),
        ...(info.ageDays !== undefined ? { ageDays: info.ageDays } : {}),
      };
      const stale = this.staleness(state);
      return stale ? { ...base, ok: false, problem: stale, fix: this.store.refreshHint } : base;
    } catch (error) {
      if (!isPackageGuardError(error)) throw error;
      return { ok: false, backend: "osv-db", problem: error.message, fix: this.store.setupHint };
    }
  }

  private async usableState(): Promise<SourceState> {
    const state = await this.store.state();
    const stale = this.staleness(state);
    if (stale) throw unavailable(`${stale} Scans are refused until it is refreshed: ${this.store.refreshHint}.`);
    return state;
  }

  private ageDays(state: SourceState): number | undefined {
    if (state.refreshedMs === null) return undefined;
    return Math.max(0, Math.floor(((this.now().getTime() - state.refreshedMs) / DAY_MS) * 10) / 10);
  }

  /** SECURITY: with scan.maxAdvisoryAgeDays, old data is no data: a scan against it would miss what came since. */
  private staleness(state: SourceState): string | undefined {
    const age = this.ageDays(state);
    if (this.maxAgeDays === null || age === undefined || age <= this.maxAgeDays) return undefined;
    return (
      `The offline advisory database (${state.location}) is ${age} days old, older than ` +
      `scan.maxAdvisoryAgeDays (${this.maxAgeDays}).`
    );
  }

  private describe(state: SourceState): AdvisorySourceInfo {
    const age = this.ageDays(state);
    return {
      id: state.id,
      version: state.version,
      advisories: state.advisories,
      ...(age !== undefined ? { ageDays: age } : {}),
      ...(state.newestMs !== null ? { newest: new Date(state.newestMs).toISOString() } : {}),
    };
  }
}
