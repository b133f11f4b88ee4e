import { readFile, stat } from "node:fs/promises";
import { Value } from "typebox/value";
import {
  MATURITY_LEVELS,
  WhitelistEntrySchema,
  type Ecosystem,
  type Maturity,
  type PackageGuardConfig,
  type WhitelistEntryInput,
} from "../config.js";
import { PackageGuardError, isPackageGuardError } from "../errors.js";
import { withFileLock } from "../util/file-lock.js";
import { readStateFile, writeFileAtomic } from "../util/fs.js";
import { isValidProjectName, normalizeName } from "./names.js";
import { npmNameProblem } from "./npm-names.js";
import { parseNpmRange } from "./npm-range.js";
import { parseSpecifier } from "./requirement.js";
import { ecosystemOf, whitelistKey } from "./whitelist-entry.js";
import type { WhitelistWatch } from "./whitelist-watch.js";
import {
  Whitelist,
  loadDefaultLayer,
  parseWhitelistYaml,
  serializeWhitelistYaml,
  type WhitelistEntry,
  type WhitelistLayer,
} from "./whitelist.js";

type Cached = { key: string; whitelist: Whitelist };

const readOptional = (path: string): Promise<string | null> =>
  readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });

const mtimeKey = async (path: string | null): Promise<string> => {
  if (path === null) return "-";
  try {
    const s = await stat(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return "absent";
  }
};

/**
 * The effective whitelist: shipped default < whitelist.file < inline tiers < admin overlay (later wins per package).
 * Files are re-read when they change, so an operator's edit applies to the next request without a restart.
 */
export class WhitelistSources {
  private cached: Cached | undefined;
  // The files' texts as last read, for the watch.
  private texts: Record<string, string | null> = {};

  constructor(
    private readonly config: PackageGuardConfig["whitelist"],
    /** Audits changes made to the whitelist files by anyone but us (see whitelist-watch.ts). */
    private readonly watch?: WhitelistWatch,
  ) {}

  async current(): Promise<Whitelist> {
    const key = `${await mtimeKey(this.config.file)}|${await mtimeKey(this.config.overlayFile)}`;
    if (this.cached?.key === key) return this.cached.whitelist;
    const layers = await this.baseLayers();
    layers.push(await this.readLayer(this.config.overlayFile, false));
    await this.watch?.check(this.texts);
    const whitelist = Whitelist.fromLayers(layers);
    this.cached = { key, whitelist };
    return whitelist;
  }

  /** packages.whitelist.add: validated, then written to the overlay under a lock with an atomic replace. */
  async add(raw: Record<string, unknown>): Promise<WhitelistEntry> {
    const maturity = raw.maturity ?? raw.maturity_level ?? "student";
    if (typeof maturity !== "string" || !(MATURITY_LEVELS as readonly string[]).includes(maturity)) {
      throw new PackageGuardError(
        "INVALID_REQUIREMENT",
        `entry.maturity must be one of: ${MATURITY_LEVELS.join(", ")}`,
        { details: { reason: "entry" } },
      );
    }
    const { maturity: _m, maturity_level: _ml, ...fields } = raw;
    const input = {
      ...fields,
      package: fields.package ?? fields.package_name,
      version: fields.version ?? fields.version_constraint,
    };
    delete (input as Record<string, unknown>).package_name;
    delete (input as Record<string, unknown>).version_constraint;
    if (input.version === undefined) delete (input as Record<string, unknown>).version;
    const problems = [...Value.Errors(WhitelistEntrySchema, input)].filter((e) => e.keyword !== "boolean");
    if (problems.length > 0) {
      const list = problems.map((p) => `${p.instancePath || "/"}: ${p.message}`).join("; ");
      throw new PackageGuardError("INVALID_REQUIREMENT", `Invalid whitelist entry: ${list}`, {
        details: { reason: "entry" },
      });
    }
    const entry = input as WhitelistEntryInput;
    const ecosystem = ecosystemOf(entry);
    const stored = ecosystem === "npm" ? npmEntry(entry) : pypiEntry(entry);
    const name = stored.package;
    const key = whitelistKey(ecosystem, name);
    await this.editOverlay((layer) => {
      for (const level of MATURITY_LEVELS) {
        layer.tiers[level] = (layer.tiers[level] ?? []).filter((e) => whitelistKey(ecosystemOf(e), e.package) !== key);
      }
      (layer.tiers[maturity as Maturity] ??= []).push(stored);
      layer.removed = (layer.removed ?? []).filter((n) => n !== key);
    });
    const created = (await this.current()).lookup(name, maturity as Maturity, ecosystem);
    if (!created)
      throw new PackageGuardError("INSTALL_FAILED", `Whitelist entry for '${name}' was written but is not visible`);
    return created;
  }

  /**
   * packages.whitelist.remove: from one tier, or (no maturity) from every source. Returns whether anything changed.
   * `name` is already validated and normalized for its ecosystem.
   */
  async remove(name: string, maturity?: Maturity, ecosystem: Ecosystem = "PyPI"): Promise<boolean> {
    const key = whitelistKey(ecosystem, name);
    const before = (await this.current()).names(ecosystem).includes(name);
    await this.editOverlay((layer) => {
      const levels = maturity ? [maturity] : MATURITY_LEVELS;
      for (const level of levels) {
        if (layer.tiers[level])
          layer.tiers[level] = layer.tiers[level]!.filter((e) => whitelistKey(ecosystemOf(e), e.package) !== key);
      }
      if (!maturity && !(layer.removed ?? []).includes(key)) layer.removed = [...(layer.removed ?? []), key];
    });
    const after = await this.current();
    return maturity
      ? before && after.lookup(name, maturity, ecosystem)?.maturity !== maturity
      : before && !after.names(ecosystem).includes(name);
  }

  /**
   * Every overlay write goes through here. SECURITY: what would be written is first read back by the very parser
   * every later command uses, and the whole effective whitelist is built from it; a change that fails either is
   * refused and nothing is written (one bad entry must never brick the guard into CONFIG_INVALID everywhere).
   */
  private async editOverlay(edit: (layer: WhitelistLayer) => void): Promise<void> {
    const file = this.config.overlayFile;
    await withFileLock(file, { what: "The whitelist overlay", timeoutMs: 10_000 }, async (assertHeld) => {
      const layer = await this.readLayer(file, false);
      edit(layer);
      const text = serializeWhitelistYaml(layer);
      try {
        Whitelist.fromLayers([...(await this.baseLayers()), parseWhitelistYaml(text, file)]);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new PackageGuardError("INVALID_REQUIREMENT", `Invalid whitelist change, nothing was written: ${why}`, {
          details: { reason: "entry" },
          cause: error,
        });
      }
      assertHeld();
      await this.watch?.willWrite(file, text);
      await writeFileAtomic(file, text, { what: "The whitelist overlay" });
      this.cached = undefined;
    });
  }

  /** The layers under the overlay, as current() builds them. */
  private async baseLayers(): Promise<WhitelistLayer[]> {
    const layers: WhitelistLayer[] = [];
    if (this.config.includeDefault) layers.push(loadDefaultLayer());
    if (this.config.file !== null) layers.push(await this.readLayer(this.config.file, true));
    if (this.config.tiers !== null) layers.push(this.inlineLayer());
    return layers;
  }

  private inlineLayer(): WhitelistLayer {
    // Inline tiers went through the config schema; the YAML path adds name and range validation.
    return parseWhitelistYaml(
      serializeWhitelistYaml({ source: "config", tiers: this.config.tiers ?? {} }),
      "plugin config whitelist.tiers",
    );
  }

  private async readLayer(path: string, required: boolean): Promise<WhitelistLayer> {
    // The overlay is our state file: never read through a link. whitelist.file is the operator's own and may be one.
    const text =
      path === this.config.overlayFile ? await readStateFile(path, "The whitelist overlay") : await readOptional(path);
    this.texts[path] = text;
    if (text !== null) return parseWhitelistYaml(text, path);
    if (required)
      throw new PackageGuardError("CONFIG_INVALID", `Whitelist file ${path} does not exist (whitelist.file)`);
    return { source: path, tiers: {} };
  }
}

const invalidEntry = (message: string): PackageGuardError =>
  new PackageGuardError("INVALID_REQUIREMENT", message, { details: { reason: "entry" } });

const pypiEntry = (entry: WhitelistEntryInput): WhitelistEntryInput => {
  if (!isValidProjectName(entry.package)) throw invalidEntry(`Invalid package name '${entry.package}'`);
  return {
    ...entry,
    package: normalizeName(entry.package),
    ...(entry.version !== undefined ? { version: parseSpecifier(entry.version) } : {}),
  };
};

const npmEntry = (entry: WhitelistEntryInput): WhitelistEntryInput => {
  const problem = npmNameProblem(entry.package);
  if (problem !== null) throw invalidEntry(`Invalid npm package name '${entry.package.slice(0, 100)}': ${problem}`);
  if (entry.extras !== undefined) throw invalidEntry("npm entries have no extras");
  try {
    return { ...entry, ...(entry.version !== undefined ? { version: parseNpmRange(entry.version) } : {}) };
  } catch (error) {
    if (isPackageGuardError(error)) throw invalidEntry(`Invalid whitelist entry: ${error.message}`);
    throw error;
  }
};
