import { createHash } from "node:crypto";
import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { normalizeName } from "../policy/names.js";
import { ADVISORY_FILE, readAdvisoryFile } from "./advisory-file.js";
import { errnoOf, unavailable, type AdvisorySource, type SourceLayout, type SourceState } from "./advisory-source.js";
import { rulesFor } from "./ecosystems.js";
import type { OsvAdvisory } from "./osv-advisory.js";
import { isEcosystem, type Ecosystem } from "./types.js";

// A directory walked within the last second is trusted as is: an update shows within a second.
const RECHECK_MS = 1_000;
// The first records are read at every walk: a folder of unrelated JSON or YAML is not an advisory database.
const SAMPLE = 3;

type FileStat = { path: string; size: number; mtimeMs: number };
type Folder = { path: string; signature: string; files: FileStat[] };
type Walk = {
  at: number;
  state: SourceState;
  /** pypa-tree: package folders by PEP 503 name (several spellings of one project all count). */
  folders: Map<string, Folder[]>;
  /** osv-json-dir: every record, indexed by ecosystem and normalized name once per version. */
  index?: Promise<Map<string, OsvAdvisory[]>>;
  files: FileStat[];
};

const visible = (entries: Dirent[]): Dirent[] => entries.filter((e) => !e.name.startsWith("."));
const hashOf = (files: readonly FileStat[]): string =>
  createHash("sha256")
    .update(files.map((f) => `${f.path}\u0000${f.size}\u0000${f.mtimeMs}`).join("\n"))
    .digest("hex");

const WHAT =
  "Point scan.osvDbDir at a copy of github.com/pypa/advisory-database (the repository or its vulns/ folder), at a " +
  "folder of OSV JSON records (an extracted OSV all.zip), or unset it to use the managed database " +
  "(package-guard advisories update).";

const statFiles = async (dir: string, names: string[], rel: string): Promise<FileStat[]> =>
  Promise.all(
    names.toSorted().map(async (name) => {
      const s = await stat(join(dir, name));
      return { path: rel ? `${rel}/${name}` : name, size: s.size, mtimeMs: s.mtimeMs };
    }),
  );

/**
 * An advisory directory the operator maintains: the PyPA layout (`vulns/<project>/<ID>.yaml`, the repository root or
 * its vulns/ folder) or a flat folder of OSV JSON records (`<ID>.json`, an extracted OSV all.zip). SECURITY: anything
 * else (the folder above the database, /tmp, an empty folder) is SCANNER_UNAVAILABLE, never "no advisories".
 */
export class DirectorySource implements AdvisorySource {
  readonly refreshHint: string;
  readonly setupHint = WHAT;
  private walked: Walk | undefined;
  private walking: Promise<Walk> | undefined;
  private readonly parsed = new Map<string, { signature: string; advisories: OsvAdvisory[] }>();

  constructor(
    private readonly dir: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.refreshHint = `update the advisory directory ${dir} (e.g. git pull)`;
  }

  async state(): Promise<SourceState> {
    return (await this.walk()).state;
  }

  async advisoriesFor(state: SourceState, ecosystem: Ecosystem, name: string): Promise<OsvAdvisory[]> {
    if (!state.ecosystems.includes(ecosystem))
      throw unavailable(`The advisory directory ${this.dir} holds no ${ecosystem} advisories.`);
    const walk = await this.walk();
    if (walk.index) return (await walk.index).get(`${ecosystem}\u0000${name}`) ?? [];
    const advisories: OsvAdvisory[] = [];
    for (const folder of walk.folders.get(name) ?? []) advisories.push(...(await this.readFolder(folder)));
    return advisories;
  }

  private walk(): Promise<Walk> {
    const current = this.walked;
    if (current && this.clock() - current.at < RECHECK_MS) return Promise.resolve(current);
    this.walking ??= this.rewalk(current).finally(() => {
      this.walking = undefined;
    });
    return this.walking;
  }

  private async rewalk(previous: Walk | undefined): Promise<Walk> {
    const vulns = join(this.dir, "vulns");
    const root = (await stat(vulns).catch(() => undefined))?.isDirectory() ? vulns : this.dir;
    let entries: Dirent[];
    try {
      entries = visible(await readdir(root, { withFileTypes: true }));
    } catch (error) {
      throw unavailable(`The advisory directory ${this.dir} cannot be read (${errnoOf(error)}). ${WHAT}`, error);
    }
    if (entries.length === 0) throw unavailable(`The advisory directory ${root} holds no advisory files. ${WHAT}`);
    let layout: SourceLayout;
    const folders = new Map<string, Folder[]>();
    let files: FileStat[];
    if (entries.every((e) => e.isDirectory())) {
      layout = "pypa-tree";
      const read = await Promise.all(entries.map((e) => this.readPackageFolder(root, e.name)));
      for (const folder of read) {
        const key = normalizeName(folder.path);
        folders.set(key, [...(folders.get(key) ?? []), folder]);
      }
      files = read.flatMap((f) => f.files);
      if (files.length === 0) throw unavailable(`The advisory directory ${root} holds no advisory files. ${WHAT}`);
    } else if (entries.every((e) => e.isFile() && e.name.endsWith(".json"))) {
      layout = "osv-json-dir";
      files = await statFiles(
        root,
        entries.map((e) => e.name),
        "",
      );
    } else {
      const odd = entries.find((e) => !e.isDirectory()) ?? entries[0]!;
      throw unavailable(
        `The advisory directory ${root} is not in a known layout: it mixes package folders with other entries ` +
          `(${odd.name}). ${WHAT}`,
      );
    }
    const version = hashOf(files).slice(0, 16);
    if (previous?.state.version === version && previous.state.layout === layout)
      return (this.walked = { ...previous, at: this.clock() });
    await this.checkSample(root, files);
    const newest = files.reduce((max, f) => Math.max(max, f.mtimeMs), 0);
    const walk: Walk = {
      at: this.clock(),
      folders,
      files,
      state: {
        id: `dir:${this.dir}`,
        version,
        layout,
        location: root,
        advisories: files.length,
        newestMs: newest,
        refreshedMs: newest,
        ecosystems: ["PyPI"],
      },
    };
    if (layout === "osv-json-dir") {
      const index = this.indexRecords(root, files);
      // The ecosystems a flat folder covers are the ones its records name.
      walk.state.ecosystems = [...new Set([...(await index).keys()].map((k) => k.split("\u0000")[0]!))].filter(
        isEcosystem,
      );
      walk.index = index;
    }
    this.walked = walk;
    return walk;
  }

  private async readPackageFolder(root: string, name: string): Promise<Folder> {
    const dir = join(root, name);
    let entries: Dirent[];
    try {
      entries = visible(await readdir(dir, { withFileTypes: true }));
    } catch (error) {
      throw unavailable(`Cannot read advisory folder ${dir} (${errnoOf(error)}).`, error);
    }
    const sub = entries.find((e) => e.isDirectory());
    if (sub)
      throw unavailable(
        `The advisory directory ${root} is not in a known layout: ${name}/${sub.name} is a folder inside a package ` +
          `folder. ${WHAT}`,
      );
    const advisoryFiles = entries.filter((e) => e.isFile() && ADVISORY_FILE.test(e.name)).map((e) => e.name);
    // An empty folder holds nothing; a folder of other files is a sign this is not an advisory tree at all.
    if (advisoryFiles.length === 0 && entries.length > 0)
      throw unavailable(
        `The advisory directory ${root} is not in a known layout: ${name}/ holds no advisory files. ${WHAT}`,
      );
    const files = await statFiles(dir, advisoryFiles, name);
    return { path: name, signature: hashOf(files), files };
  }

  private async checkSample(root: string, files: readonly FileStat[]): Promise<void> {
    for (const file of files.slice(0, SAMPLE)) {
      const advisory = await readAdvisoryFile(join(root, file.path));
      if (advisory.affected.length === 0 && advisory.withdrawn === undefined)
        throw unavailable(
          `The advisory directory ${root} is not in a known layout: ${file.path} is not an OSV record (no affected ` +
            `packages). ${WHAT}`,
        );
    }
  }

  private async readFolder(folder: Folder): Promise<OsvAdvisory[]> {
    const cached = this.parsed.get(folder.path);
    if (cached?.signature === folder.signature) return cached.advisories;
    const root = this.walked!.state.location;
    const advisories: OsvAdvisory[] = [];
    for (const file of folder.files) advisories.push(await readAdvisoryFile(join(root, file.path)));
    this.parsed.set(folder.path, { signature: folder.signature, advisories });
    return advisories;
  }

  private async indexRecords(root: string, files: readonly FileStat[]): Promise<Map<string, OsvAdvisory[]>> {
    const index = new Map<string, OsvAdvisory[]>();
    for (const file of files) {
      const advisory = await readAdvisoryFile(join(root, file.path));
      const keys = new Set<string>();
      for (const { package: pkg } of advisory.affected) {
        if (!isEcosystem(pkg.ecosystem)) continue;
        const normalize = rulesFor(pkg.ecosystem)?.normalizeName ?? ((n: string) => n);
        keys.add(`${pkg.ecosystem}\u0000${normalize(pkg.name)}`);
      }
      for (const key of keys) {
        const list = index.get(key);
        if (list) list.push(advisory);
        else index.set(key, [advisory]);
      }
    }
    return index;
  }
}
