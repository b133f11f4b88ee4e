import { PackageGuardError } from "../errors.js";
import type { OsvAdvisory } from "./osv-advisory.js";
import type { Ecosystem } from "./types.js";

export type SourceLayout = "pypa-tree" | "osv-json-dir" | "managed";

/** What an offline advisory source holds right now. */
export type SourceState = {
  /** The data's identity: where it is read from. */
  id: string;
  /** Changes whenever any advisory may have changed. */
  version: string;
  layout: SourceLayout;
  /** Where it is (a directory), for people. */
  location: string;
  /** Where the data came from (the managed database's download), when known. */
  origin?: string;
  advisories: number;
  /** Newest change in the data (file mtime, or the newest record's `modified`), epoch ms. */
  newestMs: number | null;
  /** When the data was last refreshed (the managed database's download; a directory's newest file), epoch ms. */
  refreshedMs: number | null;
  ecosystems: readonly Ecosystem[];
};

/** An offline store of OSV advisories: a directory the operator maintains, or the managed database. */
export interface AdvisorySource {
  /** Throws SCANNER_UNAVAILABLE, with what to do, when the data is missing or not in a known layout. */
  state(): Promise<SourceState>;
  /** The advisories naming this package (`name` normalized by its ecosystem's rules). */
  advisoriesFor(state: SourceState, ecosystem: Ecosystem, name: string): Promise<OsvAdvisory[]>;
  /** How the operator refreshes this source, for messages about old data. */
  readonly refreshHint: string;
  /** What the operator does when the source is missing or unusable. */
  readonly setupHint: string;
}

export const unavailable = (message: string, cause?: unknown): PackageGuardError =>
  new PackageGuardError("SCANNER_UNAVAILABLE", message, cause === undefined ? {} : { cause });

export const errnoOf = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? String(error);
