import { MATURITY_LEVELS, type Ecosystem, type Maturity } from "../config.js";
import { levelsUpTo } from "./maturity.js";
import { isValidProjectName } from "./names.js";
import { isValidNpmName } from "./npm-names.js";
import {
  toEntry,
  validateRemoved,
  validateTiers,
  whitelistKey,
  type WhitelistEntry,
  type WhitelistLayer,
} from "./whitelist-entry.js";

export type { WhitelistEntry, WhitelistLayer } from "./whitelist-entry.js";
export { loadDefaultLayer, parseWhitelistYaml, serializeWhitelistYaml } from "./whitelist-yaml.js";

/** Per package, the entry each tier declares (a Map, so no package name can reach Object.prototype). */
type Declarations = Map<Maturity, WhitelistEntry>;

// The key of a name as asked for, or undefined when it is not a valid name in that ecosystem (it matches nothing).
const keyFor = (name: string, ecosystem: Ecosystem): string | undefined =>
  (ecosystem === "npm" ? isValidNpmName(name) : isValidProjectName(name)) ? whitelistKey(ecosystem, name) : undefined;

/**
 * The effective whitelist. Layers apply in order and a later layer wins per package: declaring a package
 * (in any tier) replaces every earlier declaration of it, and `removed` drops it. A maturity sees the
 * entry of the highest tier at or below it that declares the package, so a higher tier can widen a range.
 * PyPI and npm packages share the tiers and these rules; each is looked up in its own ecosystem (PyPI by default).
 */
export class Whitelist {
  private constructor(private readonly packages: ReadonlyMap<string, Declarations>) {}

  static fromLayers(layers: readonly WhitelistLayer[]): Whitelist {
    const packages = new Map<string, Declarations>();
    for (const layer of layers) {
      const tiers = validateTiers(layer.tiers, layer.source);
      // `removed` speaks about earlier layers; what this same layer declares still stands.
      for (const name of validateRemoved(layer.removed, layer.source)) packages.delete(name);
      const declared = new Map<string, Declarations>();
      for (const level of MATURITY_LEVELS) {
        for (const input of tiers[level] ?? []) {
          const entry = toEntry(input, level, layer.source);
          const key = whitelistKey(entry.ecosystem, entry.package);
          const forPackage = declared.get(key) ?? new Map<Maturity, WhitelistEntry>();
          forPackage.set(level, entry);
          declared.set(key, forPackage);
        }
      }
      for (const [name, forPackage] of declared) packages.set(name, forPackage);
    }
    return new Whitelist(packages);
  }

  /** The entry an agent of `maturity` gets for `name` (any spelling), or undefined when it may not install it. */
  lookup(name: string, maturity: Maturity, ecosystem: Ecosystem = "PyPI"): WhitelistEntry | undefined {
    const key = keyFor(name, ecosystem);
    const declarations = key === undefined ? undefined : this.packages.get(key);
    if (!declarations) return undefined;
    const levels = levelsUpTo(maturity);
    for (let i = levels.length - 1; i >= 0; i--) {
      const entry = declarations.get(levels[i]!);
      if (entry) return entry;
    }
    return undefined;
  }

  /**
   * The entry that governs `name` when it arrives as a dependency: the one `maturity` gets, else the widest tier's.
   * Its range still binds the pin, and its resource limits still describe it, though the agent may not request it.
   */
  governing(name: string, maturity: Maturity, ecosystem: Ecosystem = "PyPI"): WhitelistEntry | undefined {
    return this.lookup(name, maturity, ecosystem) ?? this.lookup(name, "autonomous", ecosystem);
  }

  /** Every package of `ecosystem` that `maturity` may install, with the entry it gets, sorted by name. */
  visibleAt(maturity: Maturity, ecosystem: Ecosystem = "PyPI"): WhitelistEntry[] {
    return this.names(ecosystem)
      .map((name) => this.lookup(name, maturity, ecosystem))
      .filter((e): e is WhitelistEntry => e !== undefined);
  }

  /** The lowest tier declaring `name`: "approved at: intern". */
  approvedAt(name: string, ecosystem: Ecosystem = "PyPI"): Maturity | undefined {
    const key = keyFor(name, ecosystem);
    const declarations = key === undefined ? undefined : this.packages.get(key);
    return MATURITY_LEVELS.find((level) => declarations?.has(level));
  }

  /** Every declared package name of `ecosystem` (PyPI names normalized), sorted. */
  names(ecosystem: Ecosystem = "PyPI"): string[] {
    const prefix = ecosystem === "npm" ? "npm:" : "";
    return [...this.packages.keys()]
      .filter((key) => (prefix === "" ? !key.startsWith("npm:") : key.startsWith(prefix)))
      .map((key) => key.slice(prefix.length))
      .toSorted();
  }
}
