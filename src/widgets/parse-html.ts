import { Parser, type DefaultTreeAdapterMap, type DefaultTreeAdapterTypes as T, type Token } from "parse5";

/** A start tag as the tokenizer produced it, before tree construction decided what to do with it. */
export type StartTag = { tagName: string; offset: number | null };

// parse5's parser, recording every start tag its tokenizer hands to tree construction.
class RecordingParser extends Parser<DefaultTreeAdapterMap> {
  readonly startTags: StartTag[] = [];

  override onStartTag(token: Token.TagToken): void {
    this.startTags.push({ tagName: token.tagName, offset: token.location?.startOffset ?? null });
    super.onStartTag(token);
  }
}

const OPTIONS = { sourceCodeLocationInfo: true, scriptingEnabled: true } as const;

// <html>, <head> and <body> inside the body are merged into the existing elements (their attributes are kept there
// and checked there), the same way in every browser.
const MERGED = new Set(["html", "head", "body"]);

const elementOffsets = (root: T.ParentNode, into: Set<number>): Set<number> => {
  for (const child of root.childNodes) {
    if (!("tagName" in child)) continue;
    const offset = child.sourceCodeLocation?.startTag?.startOffset;
    if (offset !== undefined) into.add(offset);
    elementOffsets(child, into);
    if (child.tagName === "template") elementOffsets((child as T.Template).content, into);
  }
  return into;
};

/**
 * Start tags that tree construction dropped without making an element. parse5 follows the HTML standard as it
 * was; browsers now keep, for instance, any element inside <select> ("customizable select"). A dropped tag is where
 * the browser's tree and ours can differ, so the caller refuses it.
 */
const droppedTags = (tags: readonly StartTag[], root: T.ParentNode): StartTag[] => {
  const created = elementOffsets(root, new Set());
  return tags.filter((t) => !MERGED.has(t.tagName) && (t.offset === null || !created.has(t.offset)));
};

/** A whole document, as the browser builds it, with the start tags the parser dropped. */
export const parseDocument = (html: string): { document: T.Document; dropped: StartTag[] } => {
  const parser = new RecordingParser(OPTIONS);
  parser.tokenizer.write(html, true);
  return { document: parser.document, dropped: droppedTags(parser.startTags, parser.document) };
};

/** Markup as `innerHTML` would parse it (in a <body>-like context), with the start tags the parser dropped. */
export const parseMarkup = (html: string): { fragment: T.DocumentFragment; dropped: StartTag[] } => {
  const parser = RecordingParser.getFragmentParser(null, OPTIONS) as RecordingParser;
  parser.tokenizer.write(html, true);
  const fragment = parser.getFragment();
  return { fragment, dropped: droppedTags(parser.startTags, fragment) };
};
