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

afterAll(() => {
  process.env.TMPDIR = outer;
  // Tools' own caches, not leaks: tsx (TMPDIR/tsx-<uid>) for children forked with it, and Node's module compile cache
  // (TMPDIR/node-compile-cache) that OpenClaw's CLI enables.
  const left = readdirSync(root).filter((name) => !/^tsx-\d+$/.test(name) && name !== "node-compile-cache");
  rmSync(root, { recursive: true, force: true });
  if (left.length > 0)
    throw new Error(`This test file left ${left.length} temporary entr(ies) behind: ${left.slice(0, 10).join(", ")}`);
});
