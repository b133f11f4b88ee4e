import type { PinRecord } from "./install-record.js";
import type { ReleaseFiles } from "./releases.js";

/** One resolved distribution. `name` is PEP 503 normalized; every hash is "sha256:<hex>". */
export type Pin = { name: string; version: string; hashes: string[] };

/** A top-level request kept per skill, so a later resolve can reproduce the whole set. */
export type WantedRequirement = { specifier: string; extras: string[]; requestedAt: string };

/** Key: PEP 503 normalized name. */
export type Wanted = Record<string, WantedRequirement>;

export type ToolInfo = { path: string; version: string };

export type Tools = { uv: ToolInfo | null; python: ToolInfo | null; pipAudit: ToolInfo | null };

export type Operation = "install" | "uninstall";

export interface SkillVenv {
  readonly skill: string;
  readonly dir: string;
  /** `<dir>/bin/python` */
  readonly python: string;
  /** The recorded requirements and pins; empty for a fresh skill. */
  state(): Promise<{ requirements: Wanted; pins: Pin[] }>;
  /**
   * The full transitive pinned set with hashes. `constraints` are preferred versions, dropped if they cannot hold;
   * `ranges` (name -> specifier, e.g. whitelist ranges of dependencies) always hold.
   */
  resolve(wanted: Wanted, signal?: AbortSignal, constraints?: Pin[], ranges?: Record<string, string>): Promise<Pin[]>;
  /**
   * Looks every pin up on the index: YANKED for a yanked release, TOO_NEW for one inside the cooldown. Returns the
   * pins' files (for the install record).
   */
  checkReleases(pins: readonly Pin[], signal?: AbortSignal): Promise<ReleaseFiles>;
  /** After apply: records the installed pins' files and scans (`fresh`, by `name==version`), forgetting the rest. */
  recordInstall(installed: readonly Pin[], fresh: Readonly<Record<string, PinRecord>>): Promise<void>;
  /** Makes the venv contain exactly `pins` (restoring the previous set on failure); returns what is installed. */
  apply(
    pins: Pin[],
    wanted: Wanted,
    meta: { operation: Operation; package: string },
    signal?: AbortSignal,
  ): Promise<Pin[]>;
}

export type RecoveredTransaction = {
  skill: string;
  package: string;
  operation: Operation;
  txId: string;
  ok: boolean;
  problem?: string;
};

/** One installed pin of one skill, as `installed` reports it. */
export type InstalledPackage = {
  package: string;
  version: string;
  skill: string;
  /** Requested by name (top level) rather than pulled in as a dependency. */
  direct: boolean;
  installedAt: string | null;
  vulnerabilitiesFound: number;
};
