import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { LRUCache } from "lru-cache";
import { writeFileAtomic } from "../util/fs.js";
import { isRecord } from "../util/is-record.js";
import { errnoOf, unavailable, type AdvisorySource, type SourceState } from "./advisory-source.js";
import { toAdvisory, type OsvAdvisory } from "./osv-advisory.js";
import { ECOSYSTEMS, type Ecosystem } from "./types.js";

/** What `advisories update` records about one ecosystem's database. */
export type DbManifest = {
  format: 1;
  ecosystem: Ecosystem;
  generation: string;
  /** Where the zip came from (URL without credentials, or a file path). */
  source: string;
  fetchedAt: string;
  /** The zip's SHA-256. */
  sha256: string;
  records: number;
  packages: number;
  malware: number;
  /** The newest record's `modified`, when records carry one. */
  newest: string | null;
};

const FORMAT = 1;
// Shards by name hash: a scan reads only the shards of the packages asked about.
const SHARDS = 64;
export const UPDATE_COMMAND = "package-guard advisories update";

const shardOf = (name: string): string =>
  (createHash("sha256").update(name).digest()[0]! % SHARDS).toString(16).padStart(2, "0");
const ecosystemDir = (root: string, ecosystem: Ecosystem): string => join(root, ecosystem);
const pointerFile = (root: string, ecosystem: Ecosystem): string => join(ecosystemDir(root, ecosystem), "current.json");
const GENERATION = /^g-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$/;

const isManifest = (v: unknown): v is DbManifest =>
  isRecord(v) &&
  v.format === FORMAT &&
  typeof v.ecosystem === "string" &&
  typeof v.generation === "string" &&
  typeof v.source === "string" &&
  typeof v.fetchedAt === "string" &&
  Number.isFinite(Date.parse(v.fetchedAt)) &&
  typeof v.sha256 === "string" &&
  typeof v.records === "number" &&
  typeof v.packages === "number" &&
  typeof v.malware === "number" &&
  (v.newest === null || typeof v.newest === "string");

const readJson = async (path: string): Promise<unknown> => JSON.parse(await readFile(path, "utf8"));

/** The current generation of one ecosystem's database, or null when there is none yet. */
const readPointer = async (root: string, ecosystem: Ecosystem): Promise<string | null> => {
  let pointer: unknown;
  try {
    pointer = await readJson(pointerFile(root, ecosystem));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw unavailable(`The ${ecosystem} advisory database pointer cannot be read (${errnoOf(error)}).`, error);
  }
  const generation = isRecord(pointer) ? pointer.generation : undefined;
  if (typeof generation !== "string" || !GENERATION.test(generation))
    throw unavailable(`The ${ecosystem} advisory database pointer is damaged; run ${UPDATE_COMMAND} again.`);
  return generation;
};

/** The current manifest of one ecosystem's database, or null when there is none yet. Throws when it is damaged. */
export const readCurrent = async (root: string, ecosystem: Ecosystem): Promise<DbManifest | null> => {
  const generation = await readPointer(root, ecosystem);
  if (generation === null) return null;
  let manifest: unknown;
  try {
    manifest = await readJson(join(ecosystemDir(root, ecosystem), generation, "manifest.json"));
  } catch (error) {
    throw unavailable(
      `The ${ecosystem} advisory database ${generation} cannot be read (${errnoOf(error)}); ` +
        `run ${UPDATE_COMMAND} again.`,
      error,
    );
  }
  if (!isManifest(manifest) || manifest.generation !== generation || manifest.ecosystem !== ecosystem)
    throw unavailable(`The ${ecosystem} advisory database ${generation} is damaged; run ${UPDATE_COMMAND} again.`);
  return manifest;
};

/**
 * The database `advisories update` maintains under the state directory: per ecosystem, generations of advisories
 * sharded by package name, and a pointer to the current one (replaced atomically, so a scan reads one generation or
 * the next, never a mix).
 */
export class ManagedSource implements AdvisorySource {
  readonly refreshHint = `run ${UPDATE_COMMAND}`;
  readonly setupHint = `Run ${UPDATE_COMMAND} (or set scan.osvDbDir to an advisory directory)`;
  private readonly manifests = new Map<Ecosystem, DbManifest>();
  private readonly shards = new LRUCache<string, Record<string, unknown[]>>({ max: 512 });

  constructor(private readonly root: string) {}

  async state(): Promise<SourceState> {
    return (await this.current()).state;
  }

  async advisoriesFor(state: SourceState, ecosystem: Ecosystem, name: string): Promise<OsvAdvisory[]> {
    const manifest = (await this.current()).manifests.get(ecosystem);
    if (!manifest || !state.ecosystems.includes(ecosystem))
      throw unavailable(
        `There is no ${ecosystem} advisory database yet; run ${UPDATE_COMMAND} --ecosystem ${ecosystem}.`,
      );
    const path = join(ecosystemDir(this.root, ecosystem), manifest.generation, "shards", `${shardOf(name)}.json`);
    let shard = this.shards.get(path);
    if (shard === undefined) {
      let parsed: unknown;
      try {
        parsed = await readJson(path);
      } catch (error) {
        throw unavailable(
          `The ${ecosystem} advisory database is damaged (${path}: ${errnoOf(error)}); run ${UPDATE_COMMAND} again.`,
          error,
        );
      }
      if (!isRecord(parsed)) throw unavailable(`${path} is damaged; run ${UPDATE_COMMAND} again.`);
      shard = parsed as Record<string, unknown[]>;
      this.shards.set(path, shard);
    }
    const raw = Object.hasOwn(shard, name) ? shard[name] : undefined;
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) throw unavailable(`${path} is damaged; run ${UPDATE_COMMAND} again.`);
    return raw.map((r) => {
      const advisory = toAdvisory(r);
      if (!advisory) throw unavailable(`${path} holds a damaged record; run ${UPDATE_COMMAND} again.`);
      return advisory;
    });
  }

  // The pointers are read at every scan (two small files): an update, from this process or another, shows at once.
  private async current(): Promise<{ state: SourceState; manifests: Map<Ecosystem, DbManifest> }> {
    const manifests = new Map<Ecosystem, DbManifest>();
    for (const ecosystem of ECOSYSTEMS) {
      const generation = await readPointer(this.root, ecosystem);
      if (generation === null) continue;
      const known = this.manifests.get(ecosystem);
      const manifest = known?.generation === generation ? known : await readCurrent(this.root, ecosystem);
      if (!manifest) continue;
      this.manifests.set(ecosystem, manifest);
      manifests.set(ecosystem, manifest);
    }
    if (manifests.size === 0)
      throw unavailable(
        `There is no advisory database yet at ${this.root}: run ${UPDATE_COMMAND} (it downloads OSV's PyPI ` +
          `advisories), or set scan.osvDbDir to an advisory directory.`,
      );
    const all = [...manifests.values()];
    const newest = all.map((m) => (m.newest ? Date.parse(m.newest) : Number.NaN)).filter(Number.isFinite);
    return {
      manifests,
      state: {
        id: `managed:${this.root}`,
        version: all.map((m) => `${m.ecosystem}/${m.generation}`).join("+"),
        layout: "managed",
        location: this.root,
        origin: [...new Set(all.map((m) => m.source))].join(", "),
        advisories: all.reduce((n, m) => n + m.records, 0),
        newestMs: newest.length > 0 ? Math.max(...newest) : null,
        // The stalest ecosystem decides the age: every pin must be checked against fresh data.
        refreshedMs: Math.min(...all.map((m) => Date.parse(m.fetchedAt))),
        ecosystems: [...manifests.keys()],
      },
    };
  }
}

export const newGeneration = (now: Date): string =>
  `g-${now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}-${randomBytes(4).toString("hex")}`;

/**
 * Writes a new generation of one ecosystem's database and makes it current; the previous one stays (a scan may
 * still be reading it) and older ones are removed. Callers hold the update lock.
 */
export const writeGeneration = async (
  root: string,
  manifest: DbManifest,
  byPackage: ReadonlyMap<string, OsvAdvisory[]>,
): Promise<void> => {
  const base = ecosystemDir(root, manifest.ecosystem);
  const dir = join(base, manifest.generation);
  await mkdir(join(dir, "shards"), { recursive: true, mode: 0o700 });
  const shards = new Map<string, Record<string, OsvAdvisory[]>>();
  for (let i = 0; i < SHARDS; i++) shards.set(i.toString(16).padStart(2, "0"), {});
  for (const [name, advisories] of byPackage) shards.get(shardOf(name))![name] = advisories;
  // In parallel: each write is synced to disk, and the pointer moves only after all of them.
  await Promise.all(
    [...shards].map(([shard, content]) =>
      writeFileAtomic(join(dir, "shards", `${shard}.json`), JSON.stringify(content)),
    ),
  );
  await writeFileAtomic(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const previous = await readCurrent(root, manifest.ecosystem).catch(() => null);
  await writeFileAtomic(
    pointerFile(root, manifest.ecosystem),
    `${JSON.stringify({ generation: manifest.generation })}\n`,
  );
  const keep = new Set([manifest.generation, previous?.generation]);
  for (const entry of await readdir(base, { withFileTypes: true })) {
    if (entry.isDirectory() && GENERATION.test(entry.name) && !keep.has(entry.name))
      await rm(join(base, entry.name), { recursive: true, force: true });
  }
};
