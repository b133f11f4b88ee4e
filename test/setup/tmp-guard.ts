/**
 * Every test file runs with its own TMPDIR, and fails if anything is left in it afterwards: a test (or a product
 * scratch folder, or a child process such as uv, which inherits TMPDIR) that does not clean up is caught by name
 * instead of piling up hundreds of folders in /tmp.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const outer = process.env.PG_TEST_SHARED_TMPDIR ?? tmpdir();
const root = mkdtempSync(join(outer, "pg-test-"));
// Caches meant to outlive a run (the built test wheels) stay in the shared temp folder.
process.env.PG_TEST_SHARED_TMPDIR = outer;
process.env.TMPDIR = root;
// A file whose every suite is skipped runs no afterAll: its folder still goes when the worker exits (one handler per
// worker, however many files it runs).
const pending = ((globalThis as Record<symbol, Set<string> | undefined>)[Symbol.for("pg-test-tmp-roots")] ??= (() => {
  const roots = new Set<string>();
  process.once("exit", () => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  return roots;
})());
pending.add(root);

afterAll(() => {
  process.env.TMPDIR = outer;
  // Not ours, and removed with the root below anyway: tools' caches (tsx-<uid> for children forked with tsx, Node's
  // node-compile-cache that OpenClaw's CLI enables) and the OpenClaw gateway's own scratch folders.
  const theirs = /^(?:tsx-\d+|node-compile-cache|\.openclaw-[a-z-]+-\d+|fs-safe(?:-[a-z]+)?-\d+)$/;
  const left = readdirSync(root).filter((name) => !theirs.test(name));
  rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  pending.delete(root);
  if (left.length > 0)
    throw new Error(`This test file left ${left.length} temporary entr(ies) behind: ${left.slice(0, 10).join(", ")}`);
});
