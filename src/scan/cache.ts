import { LRUCache } from "lru-cache";
import { isPackageGuardError } from "../errors.js";
import { readStateFile, writeFileAtomic } from "../util/fs.js";
import { isEcosystem, pinKey, type Finding, type ScanPin } from "./types.js";

type Entry = { scannedAt: number; findings: Finding[] };
type StoredEntry = { key: string; scannedAt: string; findings: Finding[] };

// 2: findings carry their ecosystem, keys their advisory source version; older entries are dropped on load.
const FORMAT_VERSION = 2;
const HOUR_MS = 3_600_000;

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

const isFinding = (v: unknown): v is Finding => {
  if (typeof v !== "object" || v === null) return false;
  const f = v as Record<string, unknown>;
  return (
    typeof f.id === "string" &&
    isStrings(f.aliases) &&
    isEcosystem(f.ecosystem) &&
    typeof f.package === "string" &&
    typeof f.version === "string" &&
    isStrings(f.fixedVersions) &&
    (f.summary === undefined || typeof f.summary === "string")
  );
};

const copy = (findings: readonly Finding[]): Finding[] =>
  findings.map((f) => ({ ...f, aliases: [...f.aliases], fixedVersions: [...f.fixedVersions] }));

// Entries from an unreadable or foreign file are dropped one by one; a cache can always be rebuilt by scanning.
// SECURITY: a link is refused (CONFIG_INVALID), not read: planted "clean" results would let anything through.
const readStored = async (file: string): Promise<StoredEntry[]> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse((await readStateFile(file, "The scan cache")) ?? "");
  } catch (error) {
    if (isPackageGuardError(error)) throw error;
    return [];
  }
  const body = parsed as { version?: unknown; entries?: unknown };
  if (typeof parsed !== "object" || parsed === null || body.version !== FORMAT_VERSION || !Array.isArray(body.entries))
    return [];
  return body.entries.filter((e: unknown): e is StoredEntry => {
    const s = e as Partial<StoredEntry> | null;
    return (
      typeof s === "object" &&
      s !== null &&
      typeof s.key === "string" &&
      typeof s.scannedAt === "string" &&
      Number.isFinite(Date.parse(s.scannedAt)) &&
      Array.isArray(s.findings) &&
      s.findings.every(isFinding)
    );
  });
};

/**
 * Scan results per (advisory source, pin): least-recently-used in memory, persisted as JSON so they survive a
 * gateway restart. The source key names the scanner, where its data comes from and the data's version, so a result
 * from older data, or another source, is never read back. An entry older than `ttlHours` is a miss, since online
 * services publish advisories all the time.
 */
export class ScanCache {
  private readonly entries: LRUCache<string, Entry>;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly ttlMs: number,
    private readonly now: () => Date,
    maxEntries: number,
  ) {
    this.entries = new LRUCache<string, Entry>({ max: maxEntries });
  }

  static async open(o: { file: string; ttlHours: number; now?: () => Date; maxEntries?: number }): Promise<ScanCache> {
    const cache = new ScanCache(
      o.file,
      Math.max(0, o.ttlHours) * HOUR_MS,
      o.now ?? (() => new Date()),
      Math.max(1, o.maxEntries ?? 20_000),
    );
    if (cache.ttlMs === 0) return cache;
    // Oldest first, so the restored LRU order matches the order they were written in.
    for (const stored of await readStored(o.file)) {
      const entry = { scannedAt: Date.parse(stored.scannedAt), findings: stored.findings };
      if (cache.fresh(entry)) cache.entries.set(stored.key, entry);
    }
    return cache;
  }

  get(sourceKey: string, pin: ScanPin): Finding[] | undefined {
    if (this.ttlMs === 0) return undefined;
    const key = cacheKey(sourceKey, pin);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (!this.fresh(entry)) {
      this.entries.delete(key);
      this.dirty = true;
      return undefined;
    }
    return copy(entry.findings);
  }

  set(sourceKey: string, pin: ScanPin, findings: Finding[]): void {
    if (this.ttlMs === 0) return;
    this.entries.set(cacheKey(sourceKey, pin), { scannedAt: this.now().getTime(), findings: copy(findings) });
    this.dirty = true;
  }

  /** Writes the fresh entries (atomically); writes queue up so two flushes never interleave. */
  flush(): Promise<void> {
    if (this.ttlMs === 0 || !this.dirty) return this.writing;
    this.dirty = false;
    const stored: StoredEntry[] = [];
    this.entries.rforEach((entry, key) => {
      if (this.fresh(entry))
        stored.push({ key, scannedAt: new Date(entry.scannedAt).toISOString(), findings: entry.findings });
    });
    const data = `${JSON.stringify({ version: FORMAT_VERSION, entries: stored })}\n`;
    const write = this.writing
      .catch(() => undefined)
      .then(() => writeFileAtomic(this.file, data, { what: "The scan cache" }));
    this.writing = write.catch((error: unknown) => {
      this.dirty = true; // try again at the next flush
      throw error;
    });
    return this.writing;
  }

  // A timestamp in the future (a clock set back, an edited file) is not trusted as fresh.
  private fresh(entry: Entry): boolean {
    const age = this.now().getTime() - entry.scannedAt;
    return age >= 0 && age < this.ttlMs;
  }
}

const cacheKey = (sourceKey: string, pin: ScanPin): string => `${sourceKey} ${pinKey(pin)}`;
