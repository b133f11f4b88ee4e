import semver from "semver";
import { normalizeName } from "../policy/names.js";
import { isNpmTreeName } from "../policy/npm-names.js";
import { isExactNpmVersion } from "../policy/npm-range.js";
import { compareVersions, isPep440, sameVersion } from "../util/pep440.js";
import type { Ecosystem } from "./types.js";

/**
 * What scanning needs to know about one ecosystem: which names and versions may reach a scanner, how versions
 * order (for OSV ranges), and which OSV range types speak that order. Adding an ecosystem is one entry in RULES.
 */
export type EcosystemRules = {
  /** Names the way the ecosystem compares them (OSV records may spell them differently). */
  normalizeName(name: string): string;
  /** SECURITY: the only shapes let through to a scanner, a requirements file or a path. */
  validName(name: string): boolean;
  validVersion(version: string): boolean;
  /** Whether the version can be placed in the ecosystem's order at all. */
  isVersion(version: string): boolean;
  /** Order of two versions for which isVersion holds. */
  compare(a: string, b: string): number;
  /** The same release, however spelled. */
  same(a: string, b: string): boolean;
  /** OSV `ranges[].type` values evaluated in this order ("ECOSYSTEM" for PyPI, "SEMVER" for npm). */
  rangeTypes: readonly string[];
};

const MAX_LENGTH = 200;
const PEP503_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const PEP440_TEXT = /^[0-9][0-9A-Za-z.!+_-]*$/;

const pypi: EcosystemRules = {
  normalizeName,
  validName: (name) => name.length <= MAX_LENGTH && PEP503_NAME.test(name),
  validVersion: (version) => version.length <= MAX_LENGTH && PEP440_TEXT.test(version),
  isVersion: isPep440,
  compare: compareVersions,
  same: sameVersion,
  rangeTypes: ["ECOSYSTEM"],
};

const npm: EcosystemRules = {
  // As published: npm compares names exactly (`lodash.merge` is not `lodash-merge`; `JSONStream` keeps its case).
  normalizeName: (name) => name,
  validName: isNpmTreeName,
  validVersion: isExactNpmVersion,
  isVersion: (version) => semver.valid(version) !== null,
  compare: (a, b) => semver.compare(a, b),
  same: (a, b) => semver.eq(a, b),
  // GitHub's npm advisories use SEMVER; some sources write ECOSYSTEM, which for npm is the same order.
  rangeTypes: ["SEMVER", "ECOSYSTEM"],
};

const RULES: Record<Ecosystem, EcosystemRules> = { PyPI: pypi, npm };

/** The rules for an ecosystem, or undefined when scanning does not support it (yet). */
export const rulesFor = (ecosystem: Ecosystem): EcosystemRules | undefined => RULES[ecosystem];
