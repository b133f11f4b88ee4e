import type { ErrorCode } from "../errors.js";

/**
 * What a URL in a widget is to the browser, which decides what the gate requires of it.
 * - script / module / stylesheet / modulepreload: a tag the gate rewrites with `integrity` (SRI) and `crossorigin`;
 * - import: an ES module import, literal `import()` or import-map target; no tag, so no integrity can be attached;
 * - css-import: a stylesheet's @import, likewise;
 * - mention: anywhere else (text, attributes, string literals, CSS url()): checked, not loaded by a tag of ours.
 */
export type RefKind = "script" | "module" | "stylesheet" | "modulepreload" | "import" | "css-import" | "mention";

/** The start tag of a <script src> or <link href> in widget_code: where to splice its rewritten form. */
export type TagBinding = {
  /** Offsets of the start tag in the (trimmed) widget code. */
  start: number;
  end: number;
  tagName: "script" | "link";
  /** Its attributes as the browser reads them (the first of duplicates; names lower case). */
  attrs: { name: string; value: string }[];
  urlAttr: "src" | "href";
};

export type WidgetRef = { url: string; kind: RefKind; where: string; binding?: TagBinding };

export type WidgetRefusal = { code: ErrorCode; message: string; where: string };

export type WidgetAnalysis = { code: string; refs: WidgetRef[]; refusals: WidgetRefusal[] };
