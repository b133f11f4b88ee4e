import type { PinRecord } from "./install-record.js";
import type { ReleaseFiles } from "./releases.js";

/**
 * One resolved distribution. `name` is PEP 503 normalized; every hash is "sha256:<hex>". `via`: the packages that
 * pulled it in, when the resolver says (absent for what was asked for directly); for messages only, never stored.
 */
export type Pin = { name: string; version: string; hashes: string[]; via?: string[] };

/** A top-level request kept per skill, so a later resolve can reproduce the whole set. */
export type WantedRequirement = { specifier: string; extras: string[]; requestedAt: string };

/** Key: PEP 503 normalized name. */
export type Wanted = Record<string, WantedRequirement>;

export type ToolInfo = { path: string; version: string };

export type Tools = { uv: ToolInfo | null; python: ToolInfo | null; pipAudit: ToolInfo | null };

/** What a journal can be for: a request's change, or rebuilding a venv whose control files were changed. */
export const OPERATIONS = ["install", "uninstall", "rebuild"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** What a change records with the set it installs. */
export type ApplyMeta = {
  operation: Operation;
  package: string;
  /** Per pin, the advisories an override let through (kept in the skill's state for `installed`). */
  vulnerabilities?: Record<string, string[]>;
};

/**
 * How the environment tells the audit log about recoveries. SECURITY (write-ahead): `recovering` must make a durable
 * record or throw, and nothing touches the venv before it returned.
 */
export type ChangeLog = {
  recovering(tx: { skill: string; operation: Operation; package: string; txId: string }): Promise<void>;
  recovered(result: RecoveredTransaction): Promise<void>;
};

export interface SkillVenv {
  readonly skill: string;
  readonly dir: string;
  /** `<dir>/bin/python` */
  readonly python: string;
  /** Why the venv was rebuilt before this operation (its control files had been changed); empty if it was not. */
  readonly rebuilt: readonly string[];
  /** The recorded requirements and pins; empty for a fresh skill. */
  state(): Promise<{ requirements: Wanted; pins: Pin[]; vulnerabilities?: Record<string, string[]> }>;
  /**
   * The full transitive pinned set with hashes. `limits.pins` may not move and `limits.ranges` (name -> specifier,
   * e.g. whitelist ranges of dependencies) always hold; when they cannot, the resolve fails.
   */
  resolve(
    wanted: Wanted,
    signal?: AbortSignal,
    limits?: { pins?: readonly Pin[]; ranges?: Record<string, string> },
  ): Promise<Pin[]>;
  /**
   * Looks every pin up on the index: YANKED for a yanked release, TOO_NEW for one inside the cooldown. Returns the
   * pins' files (for the install record).
   */
  checkReleases(pins: readonly Pin[], signal?: AbortSignal): Promise<ReleaseFiles>;
  /** After apply: records the installed pins' files and scans (`fresh`, by `name==version`), forgetting the rest. */
  recordInstall(installed: readonly Pin[], fresh: Readonly<Record<string, PinRecord>>): Promise<void>;
  /**
   * Makes the venv contain exactly `pins` (restoring the previous set on failure); returns what is installed.
   * `commit` runs once the new set is in place and recorded, before the journal is dropped: if it throws (the
   * outcome could not be audited), the previous set is restored.
   */
  apply(
    pins: Pin[],
    wanted: Wanted,
    meta: ApplyMeta,
    signal?: AbortSignal,
    commit?: (installed: Pin[]) => Promise<void>,
  ): Promise<Pin[]>;
}

export type RecoveredTransaction = {
  skill: string;
  package: string;
  operation: Operation;
  txId: string;
  ok: boolean;
  /** The change had committed (the venv holds its new set) but its outcome may not have been recorded. */
  committed?: boolean;
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
  /** Known advisories an operator override let in with this pin (counted, and named in `vulnerabilities`). */
  vulnerabilitiesFound: number;
  vulnerabilities?: string[];
};
