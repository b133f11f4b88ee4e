import { createRequire } from "node:module";
import { Language, Parser, type Node, type Tree } from "web-tree-sitter";

export type { Node, Tree };

// The same grammar OpenClaw parses exec commands with (its command explainer): tree-sitter-bash in wasm.
// createRequire resolves it from wherever this file runs: src/, dist/, or the unpacked npm tarball.
const require = createRequire(import.meta.url);

/** Longer commands are not parsed (the gate decides on their text instead, see analyze.ts). */
export const MAX_SOURCE_CHARS = 128 * 1024;
const MAX_PARSE_MS = 500;
const SHORT_SOURCE_CHARS = 4096;

let loading: Promise<Parser> | undefined;
let ready: Parser | undefined;

/** Loads the grammar once, lazily; a failed load is retried on the next call. */
export const loadShellParser = (): Promise<Parser> =>
  (loading ??= (async () => {
    await Parser.init();
    const language = await Language.load(require.resolve("tree-sitter-bash/tree-sitter-bash.wasm"));
    ready = new Parser().setLanguage(language);
    return ready;
  })().catch((error: unknown) => {
    loading = undefined;
    throw error;
  }));

export const shellParserLoaded = (): boolean => ready !== undefined;

/**
 * Parses with the loaded grammar; null when the parse was cut off (too slow). The caller owns the tree and must
 * delete() it: trees live in wasm memory, not on the JS heap.
 */
export const parseLoaded = (source: string): Tree | null => {
  if (!ready) throw new Error("The shell grammar is not loaded; await loadShellParser() first");
  // The progress callback costs more than parsing a short command; only long ones can run long.
  if (source.length <= SHORT_SOURCE_CHARS) return ready.parse(source);
  const deadline = performance.now() + MAX_PARSE_MS;
  const tree = ready.parse(source, null, { progressCallback: () => performance.now() > deadline });
  if (!tree) ready.reset();
  return tree;
};
