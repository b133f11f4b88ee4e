import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import { critical, type SkillFinding } from "./findings.js";
import { extractPythonDependencies, type SkillDependencies } from "./python-deps.js";
import { readSkillFile } from "./skill-file.js";

export type { SkillDependencies } from "./python-deps.js";

/** The frontmatter as data, with a way back to SKILL.md line numbers for findings. */
export type ParsedFrontmatter = {
  data: Record<string, unknown>;
  /** 1-based line in SKILL.md of the node at `path` (or of the closest ancestor that exists). */
  lineOf(path: readonly (string | number)[]): number;
  /**
   * The text after `metadata:` on its own line, when there is one. OpenClaw reads that raw text with JSON5
   * instead of the YAML value when it holds a colon, so both readings are vetted.
   */
  metadataInline: string | null;
};

// The same delimiters as OpenClaw's parser (packages/markdown-core/src/frontmatter.ts), so we see the block it sees.
const OPENING = /^---[^\S\n]*\n/;
const CLOSING = /(?:^|\n)---[^\S\n]*(?:\n|(?![\s\S]))/;
// The opening "---" is line 1, so line 1 of the block is line 2 of the file.
const BLOCK_LINE_OFFSET = 1;
const MAX_ALIASES = 100;

const normalize = (text: string): string =>
  text
    .replace(/^\uFEFF/, "")
    .replace(/\r\n/g, "\n")
    .replace(/\r/g, "\n");

const stripQuotes = (value: string): string => {
  const quote = value.at(0);
  return (quote === '"' || quote === "'") && value.length > 1 && value.at(-1) === quote ? value.slice(1, -1) : value;
};

const inlineValue = (doc: Document, block: string, key: string): string | null => {
  if (!isMap(doc.contents)) return null;
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key);
  const start = pair && isNode(pair.key) ? pair.key.range?.[0] : undefined;
  if (start === undefined) return null;
  const end = block.indexOf("\n", start);
  const match = /^[\w-]+:\s*(.*)$/.exec(block.slice(start, end === -1 ? block.length : end));
  const raw = match?.[1]?.trim() ?? "";
  return raw === "" ? null : stripQuotes(raw);
};

type Split = { kind: "none" } | { kind: "block"; block: string } | { kind: "unterminated" };

const splitFrontmatter = (text: string): Split => {
  const opening = OPENING.exec(text);
  if (!opening) return { kind: "none" };
  const tail = text.slice(opening[0].length);
  const closing = CLOSING.exec(tail);
  return closing ? { kind: "block", block: tail.slice(0, closing.index) } : { kind: "unterminated" };
};

/** SKILL.md text -> the frontmatter as data, or a critical finding saying why it cannot be read. */
export const parseFrontmatter = (
  text: string,
): { ok: true; frontmatter: ParsedFrontmatter | null } | { ok: false; finding: SkillFinding } => {
  const split = splitFrontmatter(normalize(text));
  if (split.kind === "none") return { ok: true, frontmatter: null };
  if (split.kind === "unterminated")
    return { ok: false, finding: critical("frontmatter-unterminated", "The frontmatter has no closing '---' line") };
  const lineCounter = new LineCounter();
  const doc = parseDocument(split.block, { schema: "core", lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number | undefined): number =>
    offset === undefined ? 1 : lineCounter.linePos(offset).line + BLOCK_LINE_OFFSET;
  const first = doc.errors[0];
  if (first) {
    const detail = first.message.split("\n")[0]?.slice(0, 200) ?? first.code;
    return {
      ok: false,
      finding: critical(
        "frontmatter-yaml",
        `The frontmatter is not valid YAML (${first.code}): ${detail}`,
        lineAt(first.pos[0]),
      ),
    };
  }
  if (split.block.trim() === "") return { ok: true, frontmatter: null };
  if (!isMap(doc.contents))
    return {
      ok: false,
      finding: critical("frontmatter-yaml", "The frontmatter must be a YAML mapping (key: value lines)", 2),
    };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    return {
      ok: false,
      finding: critical(
        "frontmatter-yaml",
        `The frontmatter cannot be read: ${(error as Error).message.slice(0, 200)}`,
        2,
      ),
    };
  }
  const lineOf = (path: readonly (string | number)[]): number => {
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lineAt(node.range[0]);
    }
    return 2;
  };
  return {
    ok: true,
    frontmatter: {
      data: data as Record<string, unknown>,
      lineOf,
      metadataInline: inlineValue(doc, split.block, "metadata"),
    },
  };
};

/** The Python requirements SKILL.md text declares, and every problem found reading them. */
export const skillDependenciesFromText = (text: string): SkillDependencies => {
  const parsed = parseFrontmatter(text);
  if (!parsed.ok) return { name: null, requirements: [], lines: [], findings: [parsed.finding] };
  if (parsed.frontmatter === null) return { name: null, requirements: [], lines: [], findings: [] };
  return extractPythonDependencies(parsed.frontmatter);
};

/**
 * Reads the staged skill's SKILL.md and extracts its Python dependencies: `dependencies.python` (the seed's
 * format) and `metadata.openclaw.install[]` (legacy `metadata.clawdbot`) entries of kind "uv". Never throws:
 * anything unreadable or malformed is a critical finding, which blocks the install.
 */
export const readSkillDependencies = async (sourcePath: string, kind: string): Promise<SkillDependencies> => {
  const file = await readSkillFile(sourcePath, kind);
  if (!file.ok) return { name: null, requirements: [], lines: [], findings: [file.finding] };
  return skillDependenciesFromText(file.text);
};
