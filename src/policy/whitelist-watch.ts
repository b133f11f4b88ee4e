import { createHash } from "node:crypto";
import { JsonStore } from "../util/json-store.js";

/** A whitelist file whose content changed since package-guard last read or wrote it (sha256 digests). */
export type SourceChange = { file: string; before: string | null; after: string | null };

/** How a change by another writer is written down: what happened to which file, with both digests. */
export const describeChange = (change: SourceChange): { reason: string; details: Record<string, unknown> } => {
  const what = change.after === null ? "was removed" : change.before === null ? "appeared" : "changed";
  return {
    reason: `${change.file} ${what} outside package-guard (not through packages.whitelist.add/remove)`,
    details: { action: "edited", file: change.file, sha256Before: change.before, sha256After: change.after },
  };
};

type Seen = { version: 1; files: Record<string, string | null> };

const isSeen = (x: unknown): x is Seen =>
  (x as Seen | null)?.version === 1 && typeof (x as Seen).files === "object" && (x as Seen).files !== null;

export const digest = (text: string | null): string | null =>
  text === null ? null : createHash("sha256").update(text, "utf8").digest("hex");

/**
 * SECURITY: the whitelist decides what agents may install, so every change to it is audited, whoever made it. Our
 * own writes (packages.whitelist.add/remove) are recorded by the operator service; this catches every other writer:
 * a hand edit, a script, an agent with a shell. It remembers the digest of each whitelist file as last read or
 * written (in a state file, so a change made while no gateway ran is caught by the next process that reads it).
 */
export class WhitelistWatch {
  private readonly store: JsonStore<Seen>;

  constructor(
    file: string,
    private readonly report: (changes: SourceChange[]) => Promise<void>,
  ) {
    this.store = new JsonStore(file, "The whitelist digests file", () => ({ version: 1, files: {} }), isSeen);
  }

  /** Compares the files' texts (null: absent) with what was last seen; reports and remembers each difference. */
  async check(texts: Record<string, string | null>): Promise<void> {
    const now = Object.entries(texts).map(([file, text]) => ({ file, digest: digest(text) }));
    const seen = (await this.store.read()).files;
    // A file first seen absent is no change; everything else that differs is.
    const differs = (f: { file: string; digest: string | null }) =>
      Object.hasOwn(seen, f.file) ? seen[f.file] !== f.digest : f.digest !== null;
    if (!now.some(differs)) return;
    const changes = await this.store.edit((state) => {
      const out: SourceChange[] = [];
      for (const f of now) {
        const before = Object.hasOwn(state.files, f.file) ? (state.files[f.file] ?? null) : null;
        if (Object.hasOwn(state.files, f.file) ? before !== f.digest : f.digest !== null)
          out.push({ file: f.file, before, after: f.digest });
        state.files[f.file] = f.digest;
      }
      return out;
    });
    // Another process may have reported the same change first: only the one that flipped the digest reports it.
    if (changes.length > 0) await this.report(changes);
  }

  /** Our own write, about to happen: remembered first, so it is never reported as someone else's. */
  async willWrite(file: string, text: string): Promise<void> {
    await this.store.edit((state) => {
      state.files[file] = digest(text);
    });
  }
}
