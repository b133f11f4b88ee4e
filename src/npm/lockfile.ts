import npa from "npm-package-arg";
import { PackageGuardError } from "../errors.js";
import { invalidRequirement, type InvalidReason } from "../policy/invalid.js";
import { isNpmTreeName } from "../policy/npm-names.js";
import { isExactNpmVersion } from "../policy/npm-range.js";
import { isRecord } from "../util/is-record.js";
import type { LockPackage, TreeEntry } from "./types.js";

export type LockCheckOptions = {
  /** The one registry (ends with "/"); every `resolved` must be one of its tarball URLs. */
  registry: string;
  maxPackages: number;
  /** What the component's package.json asks for: the lockfile's root must say exactly this. */
  dependencies: Record<string, string>;
};

/** Far above any real tree of `maxPackages` (npm writes ~0.5 KiB per package), far below what hurts to parse. */
export const MAX_LOCKFILE_BYTES = 32 * 1024 * 1024;
const SHA512 = /^sha512-[A-Za-z0-9+/]{86}==$/;
const DEPENDENCY_FIELDS = ["dependencies", "optionalDependencies", "peerDependencies"] as const;
// `node_modules/a/node_modules/@s/b`: every step one package folder, scoped or not.
const SEGMENT = "(?:@[^/]+/)?[^/]+";
const TREE_PATH = new RegExp(`^node_modules/${SEGMENT}(?:/node_modules/${SEGMENT})*$`);

export const tooLarge = (): PackageGuardError =>
  unreadable(`it is larger than ${MAX_LOCKFILE_BYTES / 1024 / 1024} MiB`);

/** A URL as messages may show it: no credentials, query or fragment. */
export const displayUrl = (raw: string): string => {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`.slice(0, 200);
  } catch {
    return "(not a URL)";
  }
};

const refuse = (reason: InvalidReason, message: string, details: Record<string, unknown>): PackageGuardError =>
  invalidRequirement(reason, message, { ...details, ecosystem: "npm" });

export const unreadable = (why: string): PackageGuardError =>
  new PackageGuardError("INSTALL_FAILED", `npm wrote a lockfile package-guard cannot check: ${why}`, {
    details: { reason: "lockfile" },
  });

const treeName = (name: string): boolean => isNpmTreeName(name);

const nameOfPath = (path: string): string => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);

const FOREIGN_SPECS: Record<string, [InvalidReason, string]> = {
  git: ["vcs", "a git dependency"],
  remote: ["url", "a tarball URL outside the registry"],
  file: ["path", "a local file"],
  directory: ["path", "a local folder"],
  alias: ["npm-spec", "an npm: alias (another package under this name)"],
};

/**
 * SECURITY: every dependency every package declares must be a registry range, version or tag: a git repository,
 * URL, local path or alias anywhere in the tree is refused, whichever package declares it.
 */
const checkSpecs = (declaredBy: string, entry: Record<string, unknown>): void => {
  for (const field of DEPENDENCY_FIELDS) {
    const deps = entry[field];
    if (deps === undefined) continue;
    if (!isRecord(deps)) throw unreadable(`${declaredBy}: ${field} is not an object`);
    for (const [name, spec] of Object.entries(deps)) {
      if (typeof spec !== "string" || !treeName(name))
        throw unreadable(`${declaredBy}: ${field} has a malformed entry`);
      let type: string;
      try {
        type = npa.resolve(name, spec).type;
      } catch {
        type = "unsupported";
      }
      if (type === "range" || type === "version" || type === "tag") continue;
      const [reason, what] = FOREIGN_SPECS[type] ?? ["npm-spec", "not a registry version"];
      const shown = /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) ? displayUrl(spec) : spec.slice(0, 80);
      throw refuse(
        reason,
        `${declaredBy} depends on ${name} through ${what} ('${shown}'); package-guard installs registry packages ` +
          `only, so this tree is refused`,
        { package: name, declaredBy, spec: shown },
      );
    }
  }
};

const checkResolved = (path: string, name: string, resolved: unknown, registry: URL): string => {
  const shown = `${name} (${path})`;
  if (typeof resolved !== "string")
    throw refuse("url", `${shown} has no registry URL in the lockfile; it did not come from the registry`, { path });
  let url: URL;
  try {
    url = new URL(resolved);
  } catch {
    throw refuse("url", `${shown} comes from something that is not a URL`, { path });
  }
  // SECURITY: the tarball must be the registry's own tarball of this very package, on the registry's origin.
  const expected = `${registry.pathname}${name}/-/`;
  if (
    url.origin !== registry.origin ||
    url.username !== "" ||
    url.password !== "" ||
    url.search !== "" ||
    url.hash !== "" ||
    !url.pathname.startsWith(expected) ||
    !url.pathname.endsWith(".tgz") ||
    url.pathname.slice(expected.length).includes("/")
  ) {
    throw refuse(
      "url",
      `${shown} would be fetched from ${displayUrl(resolved)}, which is not ${name}'s tarball on the configured ` +
        `registry ${registry.origin}`,
      { path, resolved: displayUrl(resolved) },
    );
  }
  return resolved;
};

const checkPackage = (path: string, raw: unknown, registry: URL): LockPackage => {
  if (!TREE_PATH.test(path) || path.split("/").some((p) => p === "." || p === ".."))
    throw unreadable(`a package path ${JSON.stringify(path.slice(0, 100))} is not a node_modules path`);
  const name = nameOfPath(path);
  if (!treeName(name)) throw unreadable(`${JSON.stringify(name.slice(0, 100))} is not a package name`);
  if (!isRecord(raw)) throw unreadable(`${path} is not an object`);
  if (raw.link === true)
    throw refuse("path", `${name} (${path}) links to a local folder; only registry packages are installed`, { path });
  if (raw.inBundle === true) {
    throw refuse(
      "npm-spec",
      `${name} (${path}) is bundled inside another package's tarball, where it cannot be scanned or checked on its ` +
        `own; package-guard refuses bundled dependencies`,
      { path },
    );
  }
  // An aliased install keeps the real package's name here while the folder carries the alias.
  if (raw.name !== undefined && raw.name !== name) {
    throw refuse("npm-spec", `${path} holds '${String(raw.name).slice(0, 100)}' under the name ${name} (an alias)`, {
      path,
    });
  }
  const version = raw.version;
  if (!isExactNpmVersion(version)) throw unreadable(`${path} has no exact version`);
  const resolved = checkResolved(path, name, raw.resolved, registry);
  if (typeof raw.integrity !== "string" || !SHA512.test(raw.integrity)) {
    throw refuse(
      "npm-integrity",
      `${name}@${version} has no sha512 integrity in the registry's metadata, so its bytes cannot be bound to what ` +
        `was checked; package-guard refuses it`,
      { path, integrity: typeof raw.integrity === "string" ? raw.integrity.split("-")[0] : null },
    );
  }
  return {
    path,
    name,
    version,
    resolved,
    integrity: raw.integrity,
    hasInstallScript: raw.hasInstallScript === true,
    optional: raw.optional === true,
  };
};

const sameDependencies = (a: unknown, b: Record<string, string>): boolean =>
  isRecord(a) &&
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(b).every(([name, range]) => a[name] === range);

/**
 * Reads the package-lock.json npm wrote for a component and checks every entry before anything is installed from
 * it: registry tarball URLs only, a sha512 integrity for each, no git/URL/path/alias dependency anywhere, no links or
 * bundled packages, and at most `maxPackages` packages. Returns the packages, sorted by path.
 */
export const checkLockfile = (text: string, options: LockCheckOptions): LockPackage[] => {
  if (Buffer.byteLength(text) > MAX_LOCKFILE_BYTES) throw tooLarge();
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch {
    throw unreadable("it is not JSON");
  }
  if (!isRecord(lock) || (lock.lockfileVersion !== 3 && lock.lockfileVersion !== 2) || !isRecord(lock.packages))
    throw unreadable("it is not a lockfile of version 2 or 3");
  const entries = Object.entries(lock.packages);
  const root = lock.packages[""];
  if (!isRecord(root) || !sameDependencies(root.dependencies ?? {}, options.dependencies))
    throw unreadable("its root does not ask for what the component asks for");
  if (entries.length - 1 > options.maxPackages) {
    throw new PackageGuardError(
      "CONSTRAINT_VIOLATION",
      `The dependency tree has ${entries.length - 1} packages, more than npm.maxPackages (${options.maxPackages})`,
      { details: { reason: "too-many-packages", packages: entries.length - 1, max: options.maxPackages } },
    );
  }
  const registry = new URL(options.registry);
  // Specs first: a foreign spec is the cause, and its message names the package that declares it; the entry npm
  // made for it (its URL, its missing integrity) is only the effect.
  for (const [path, raw] of entries) {
    if (path !== "" && isRecord(raw)) checkSpecs(`${nameOfPath(path)}@${String(raw.version).slice(0, 50)}`, raw);
  }
  return entries
    .filter(([path]) => path !== "")
    .map(([path, raw]) => checkPackage(path, raw, registry))
    .toSorted((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
};

/**
 * The packages of a component's installed lockfile (checked when it was installed), for `installed` and uninstall.
 * Read leniently: a tree installed under another registry setting is still reported as it is.
 */
export const readInstalledTree = (text: string): TreeEntry[] => {
  let lock: unknown;
  try {
    lock = text.length > MAX_LOCKFILE_BYTES ? undefined : JSON.parse(text);
  } catch {
    return [];
  }
  if (!isRecord(lock) || !isRecord(lock.packages)) return [];
  return Object.entries(lock.packages)
    .filter(([path, raw]) => TREE_PATH.test(path) && isRecord(raw) && typeof raw.version === "string")
    .map(([path, raw]) => ({ path, name: nameOfPath(path), version: (raw as { version: string }).version }))
    .toSorted((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
};
