import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { PackageGuardError } from "../errors.js";
import { normalizeName } from "../policy/names.js";
import { isPep440 } from "../util/pep440.js";
import { toAdvisory, type OsvAdvisory } from "./osv-advisory.js";
import { matchAdvisories } from "./osv-match.js";
import { checkedPins } from "./pins.js";
import { pinKey, type Finding, type ScanPin, type Scanner } from "./types.js";

const ADVISORY_FILE = /\.(ya?ml|json)$/;
const RECHECK_MS = 1_000;

const unavailable = (message: string, cause?: unknown): PackageGuardError =>
  new PackageGuardError("SCANNER_UNAVAILABLE", message, { cause });

const isDirectory = async (path: string): Promise<boolean> =>
  (await stat(path).catch(() => undefined))?.isDirectory() ?? false;

/**
 * The offline backend: a local copy of an OSV advisory tree laid out like github.com/pypa/advisory-database
 * (`vulns/<project>/<ID>.yaml`). Only the folders of the packages asked about are read. Parsed folders are
 * kept in memory and reused while the folder's mtime is unchanged (adding, removing or replacing an advisory
 * file changes it; `git pull` replaces files), so an updated snapshot still takes effect at the next scan.
 */
export class OsvDbScanner implements Scanner {
  readonly id = "osv-db";
  private index: { key: string; root: string; names: Map<string, string[]> } | undefined;
  private readonly parsed = new Map<string, { mtime: number; checkedAt: number; advisories: OsvAdvisory[] }>();

  constructor(private readonly dir: string) {}

  async scan(pins: ScanPin[], signal?: AbortSignal): Promise<Map<string, Finding[]>> {
    const checked = checkedPins(pins);
    const result = new Map<string, Finding[]>();
    if (checked.length === 0) return result;
    for (const pin of checked) {
      // Ranges are PEP 440 intervals; a version that cannot be placed in them cannot be called clean.
      if (!isPep440(pin.version))
        throw unavailable(
          `Cannot check ${pinKey(pin)} against the offline advisory database: "${pin.version}" is not a PEP 440 ` +
            `version.`,
        );
    }
    const folders = await this.folderIndex();
    const byPackage = new Map<string, OsvAdvisory[]>();
    for (const pin of checked) {
      if (signal?.aborted) throw unavailable("The vulnerability scan was canceled before it finished.");
      let advisories = byPackage.get(pin.name);
      if (advisories === undefined) {
        advisories = await this.loadPackage(folders.root, folders.names.get(pin.name) ?? []);
        byPackage.set(pin.name, advisories);
      }
      result.set(pinKey(pin), matchAdvisories(advisories, pin));
    }
    return result;
  }

  /** Folder names by PEP 503 name; several spellings of one project all count. */
  private async folderIndex(): Promise<{ root: string; names: Map<string, string[]> }> {
    // Accept the repository root as well as its vulns/ folder.
    const root = (await isDirectory(join(this.dir, "vulns"))) ? join(this.dir, "vulns") : this.dir;
    const rootStat = await stat(root).catch(() => undefined);
    const key = `${root}:${rootStat?.mtimeMs ?? "?"}`;
    if (rootStat && this.index?.key === key) return this.index;
    let entries;
    try {
      entries = await readdir(root, { withFileTypes: true });
    } catch (error) {
      throw unavailable(
        `The offline advisory database at ${this.dir} cannot be read ` +
          `(${(error as NodeJS.ErrnoException).code ?? String(error)}). ` +
          "Point scan.osvDbDir at a copy of github.com/pypa/advisory-database (the repository or its vulns/ folder).",
        error,
      );
    }
    const names = new Map<string, string[]>();
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const key = normalizeName(entry.name);
      names.set(key, [...(names.get(key) ?? []), entry.name]);
    }
    if (names.size === 0)
      throw unavailable(
        `The offline advisory database at ${this.dir} holds no package folders; is scan.osvDbDir the right directory?`,
      );
    this.index = { key, root, names };
    return this.index;
  }

  private async loadPackage(root: string, folders: readonly string[]): Promise<OsvAdvisory[]> {
    const advisories: OsvAdvisory[] = [];
    for (const folder of folders) {
      const dir = join(root, folder);
      const cached = this.parsed.get(dir);
      // A folder checked within the last second is trusted as is: a snapshot update shows within a second.
      if (cached && Date.now() - cached.checkedAt < RECHECK_MS) {
        advisories.push(...cached.advisories);
        continue;
      }
      const mtime = (await stat(dir).catch(() => undefined))?.mtimeMs;
      if (mtime !== undefined && cached?.mtime === mtime) {
        cached.checkedAt = Date.now();
        advisories.push(...cached.advisories);
        continue;
      }
      const fromFolder: OsvAdvisory[] = [];
      let files: string[];
      try {
        files = await readdir(dir);
      } catch (error) {
        throw unavailable(
          `Cannot read advisory folder ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
          error,
        );
      }
      for (const file of files.toSorted()) {
        if (ADVISORY_FILE.test(file)) fromFolder.push(await readAdvisory(join(dir, file)));
      }
      if (mtime !== undefined) this.parsed.set(dir, { mtime, checkedAt: Date.now(), advisories: fromFolder });
      advisories.push(...fromFolder);
    }
    return advisories;
  }
}

// SECURITY: a file we cannot read could be the advisory that matters, so it fails the scan rather than being skipped.
// The failsafe schema keeps every scalar a string: an unquoted `3.10` must stay "3.10", not become 3.1.
const readAdvisory = async (path: string): Promise<OsvAdvisory> => {
  let advisory: OsvAdvisory | undefined;
  try {
    advisory = toAdvisory(parse(await readFile(path, "utf8"), { schema: "failsafe" }));
  } catch (error) {
    throw unavailable(
      `Advisory file ${path} cannot be read or parsed ` +
        `(${error instanceof Error ? error.message.split("\n")[0] : String(error)}); repair or remove it.`,
      error,
    );
  }
  if (advisory === undefined) throw unavailable(`Advisory file ${path} has no id; repair or remove it.`);
  return advisory;
};
