/** A top-level request kept per component, so a later resolve can reproduce the whole tree. */
export type NpmWantedRequirement = { range: string; requestedAt: string };

/** Key: the npm package name. */
export type NpmWanted = Record<string, NpmWantedRequirement>;

/** Where a package of an installed tree is, and what it is. */
export type TreeEntry = { path: string; name: string; version: string };

/** One package of a checked lockfile: where npm puts it, what it is, and where its bytes come from. */
export type LockPackage = {
  /** `node_modules/a/node_modules/@s/b`: one tree may hold several versions of a name. */
  path: string;
  name: string;
  version: string;
  resolved: string;
  /** `sha512-…`, from the packument; `npm ci` refuses bytes that do not match it. */
  integrity: string;
  /** The package declares lifecycle scripts (never run: every npm call has --ignore-scripts). */
  hasInstallScript: boolean;
  /** May be skipped by `npm ci` on a platform it does not support. */
  optional: boolean;
};

/** What `installed` reports for one package of one component. */
export type InstalledNpmPackage = {
  ecosystem: "npm";
  package: string;
  version: string;
  component: string;
  path: string;
  /** Requested by name (top level) rather than pulled in as a dependency. */
  direct: boolean;
  installedAt: string | null;
};

export type NpmOperation = "install" | "uninstall";
