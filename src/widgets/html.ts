import type { DefaultTreeAdapterTypes as T } from "parse5";
import { analyzeCss } from "./css.js";
import { analyzeScript, type JsFindings, type ScriptMode } from "./js.js";
import { findCdnMentions } from "./mentions.js";
import { parseDocument, parseMarkup, type StartTag } from "./parse-html.js";
import { importMapAddresses, scriptKind } from "./script-type.js";
import type { RefKind, TagBinding, WidgetAnalysis, WidgetRef, WidgetRefusal } from "./types.js";

// OpenClaw puts widget_code at the end of <body> in its document shell (openclaw/dist/wrap-*.mjs buildWidgetDocument),
// after its own complete <script> elements. Parsing the code in the same place gives the tree the browser builds.
const PREFIX = "<!doctype html><html><head></head><body>";
const SUFFIX = "</body></html>";
const HTML_NS = "http://www.w3.org/1999/xhtml";
const SVG_NS = "http://www.w3.org/2000/svg";

// Elements that load another document or plugin, change how every URL resolves, or hide markup from the parse we
// check (noscript is raw text while scripts run, and markup in OpenClaw's script-less "strict" embed mode).
const REFUSED_TAGS: Record<string, string> = {
  iframe: "nested documents are outside what the gate can check (and the widget CSP blocks frames)",
  frame: "nested documents are outside what the gate can check",
  frameset: "nested documents are outside what the gate can check",
  object: "plugins and nested documents are outside what the gate can check",
  embed: "plugins and nested documents are outside what the gate can check",
  applet: "plugins are outside what the gate can check",
  portal: "nested documents are outside what the gate can check",
  fencedframe: "nested documents are outside what the gate can check",
  base: "<base> changes what every relative URL loads",
  noscript: "<noscript> markup is parsed only when scripts are off, where the gate does not see it",
  plaintext: "<plaintext> swallows the rest of the document",
};
// Raw-text and escapable raw-text elements: left open, they would swallow OpenClaw's closing markup.
const RAW_TEXT = new Set(["script", "style", "textarea", "title", "xmp", "noembed", "noframes"]);
const SVG_ANIMATION = new Set(["animate", "set", "animateMotion", "animateTransform"]);
const MARKUP = /<[a-zA-Z!/?]/;

type Node = T.ChildNode | T.Document | T.DocumentFragment;
type Ctx = {
  code: string;
  refs: WidgetRef[];
  refusals: WidgetRefusal[];
  /** Inside markup that a script builds (a string literal that looks like HTML). */
  fromScript: boolean;
  inTemplate: boolean;
};

const isElement = (node: Node): node is T.Element => "tagName" in node;
const attrName = (a: { name: string; prefix?: string }): string => (a.prefix ? `${a.prefix}:${a.name}` : a.name);
const getAttr = (el: T.Element, name: string): string | undefined => el.attrs.find((a) => attrName(a) === name)?.value;

const lineOf = (ctx: Ctx, el: T.Element | T.CommentNode | T.TextNode): string => {
  const loc = el.sourceCodeLocation;
  return ctx.fromScript || !loc ? "in markup built by a script" : `line ${loc.startLine}`;
};

const refuse = (ctx: Ctx, where: string, message: string): void => {
  ctx.refusals.push({ code: "INVALID_REQUIREMENT", message, where });
};

const addRef = (ctx: Ctx, url: string, kind: RefKind, where: string, binding?: TagBinding): void => {
  ctx.refs.push(binding ? { url, kind, where, binding } : { url, kind, where });
};

/** `javascript:` after the URL parser's stripping (leading C0 and spaces, any tab or newline). */
const isJavascriptUrl = (value: string): boolean =>
  // oxlint-disable-next-line no-control-regex -- the URL parser strips leading C0 controls before the scheme
  /^javascript:/i.test(value.replace(/[\t\n\r]/g, "").replace(/^[\x00-\x20]+/, ""));

/** Text that is not code: every CDN URL in it is checked, and a CDN host outside a URL is refused. */
const checkText = (ctx: Ctx, text: string, where: string): void => {
  const { urls, stray } = findCdnMentions(text);
  for (const url of urls) addRef(ctx, url, "mention", where);
  if (stray) refuse(ctx, where, `${stray} is named outside a complete URL the gate can read`);
};

const checkJs = (ctx: Ctx, findings: JsFindings, where: string): void => {
  for (const why of findings.refusals) refuse(ctx, where, why);
  for (const { specifier } of findings.imports) {
    // Bare specifiers resolve through an import map, whose addresses are checked where the map is.
    if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(specifier)) addRef(ctx, specifier, "import", where);
    else if (/^[./]/.test(specifier)) refuse(ctx, where, `the relative import '${specifier}' loads from no CDN`);
  }
  for (const value of findings.strings) {
    if (isJavascriptUrl(value)) refuse(ctx, where, "a javascript: URL in a script runs code the gate never sees");
    checkText(ctx, value, where);
    if (MARKUP.test(value)) walkMarkupFromScript(ctx, value);
  }
};

const checkScriptText = (ctx: Ctx, code: string, mode: ScriptMode, where: string): void =>
  checkJs(ctx, analyzeScript(code, mode), where);

const checkCss = (ctx: Ctx, css: string, where: string): void => {
  const { imports, strings } = analyzeCss(css);
  for (const target of imports) {
    if (target === "") refuse(ctx, where, "an @import whose address the gate cannot read");
    else addRef(ctx, target, "css-import", where);
  }
  // An @import's own address is checked as the import it is, not again as a mention.
  for (const value of strings) if (!ctx.fromScript && !imports.includes(value)) checkText(ctx, value, where);
};

const textOf = (el: T.Element): string =>
  el.childNodes.map((c) => (c.nodeName === "#text" ? (c as T.TextNode).value : "")).join("");

const binding = (ctx: Ctx, el: T.Element, urlAttr: "src" | "href"): TagBinding | undefined => {
  const loc = el.sourceCodeLocation?.startTag;
  if (!loc || loc.startOffset < PREFIX.length || loc.endOffset > PREFIX.length + ctx.code.length) return undefined;
  return {
    start: loc.startOffset - PREFIX.length,
    end: loc.endOffset - PREFIX.length,
    tagName: el.tagName as "script" | "link",
    attrs: el.attrs.map((a) => ({ name: attrName(a), value: a.value })),
    urlAttr,
  };
};

const bind = (ctx: Ctx, el: T.Element, url: string, kind: RefKind, urlAttr: "src" | "href", where: string): void => {
  const b = binding(ctx, el, urlAttr);
  if (!b) refuse(ctx, where, `the <${el.tagName}> tag could not be located in widget_code to bind its integrity`);
  else addRef(ctx, url, kind, where, b);
};

const checkScript = (ctx: Ctx, el: T.Element, where: string): void => {
  if (ctx.fromScript) return refuse(ctx, where, "a <script> in markup built by a script is never checked");
  if (ctx.inTemplate)
    return refuse(ctx, where, "a <script> inside <template> runs only after a script clones and may change it");
  if (el.namespaceURI === SVG_NS) {
    if (getAttr(el, "href") !== undefined || getAttr(el, "xlink:href") !== undefined)
      return refuse(ctx, where, "an SVG <script href> cannot carry an integrity check; use an HTML <script src>");
    return checkScriptText(ctx, textOf(el), "classic", where);
  }
  const kind = scriptKind(getAttr(el, "type"), getAttr(el, "language"));
  const src = getAttr(el, "src");
  if (kind === "classic" || kind === "module") {
    if (src !== undefined) return bind(ctx, el, src, kind === "module" ? "module" : "script", "src", where);
    return checkScriptText(ctx, textOf(el), kind, where);
  }
  if (kind === "importmap") {
    if (src !== undefined) return refuse(ctx, where, "an external import map is not supported by browsers");
    const addresses = importMapAddresses(textOf(el));
    if (!addresses) return refuse(ctx, where, "the import map is not a JSON object");
    for (const target of addresses.targets) addRef(ctx, target, "import", where);
    for (const scope of addresses.scopes) checkText(ctx, scope, where);
    return;
  }
  if (kind === "speculationrules") return refuse(ctx, where, "speculation rules load documents the gate never sees");
  // A data block: never run, but a script may read it, so its text is checked like any other text.
  checkText(ctx, textOf(el), where);
  if (src !== undefined) checkText(ctx, src, where);
};

const checkLink = (ctx: Ctx, el: T.Element, where: string): boolean => {
  if (ctx.fromScript) {
    refuse(ctx, where, "a <link> in markup built by a script loads with no integrity check; write it in widget_code");
    return true;
  }
  const href = getAttr(el, "href");
  if (href === undefined) return false;
  const rel = (getAttr(el, "rel") ?? "").toLowerCase().split(/[\t\n\f\r ]+/);
  if (rel.includes("stylesheet")) bind(ctx, el, href, "stylesheet", "href", where);
  else if (rel.includes("modulepreload")) bind(ctx, el, href, "modulepreload", "href", where);
  else return false;
  return true;
};

const checkAttributes = (ctx: Ctx, el: T.Element, where: string, boundAttr: string | null): void => {
  const animated = el.namespaceURI === SVG_NS && SVG_ANIMATION.has(el.tagName);
  for (const a of el.attrs) {
    const name = attrName(a);
    if (/^on/i.test(name)) {
      if (ctx.fromScript) refuse(ctx, where, `the ${name} handler in markup built by a script is never checked`);
      else checkScriptText(ctx, a.value, "handler", where);
      continue;
    }
    if (name === "srcdoc") refuse(ctx, where, "srcdoc holds a nested document the gate does not check");
    if (isJavascriptUrl(a.value)) refuse(ctx, where, `a javascript: URL in ${name} runs code the gate never sees`);
    if (animated && name === "attributeName" && /^(?:on|href$|xlink:href$|src$)/i.test(a.value.trim()))
      refuse(ctx, where, `SVG animation of '${a.value}' can swap in a URL or handler the gate never sees`);
    if (name === "style") checkCss(ctx, a.value, where);
    else if (name !== boundAttr && !ctx.fromScript) checkText(ctx, a.value, where);
  }
};

const checkElement = (ctx: Ctx, el: T.Element): void => {
  const where = `${lineOf(ctx, el)}: <${el.tagName}>`;
  const html = el.namespaceURI === HTML_NS;
  const refused = html ? REFUSED_TAGS[el.tagName] : undefined;
  if (refused) refuse(ctx, where, refused);
  if (html && el.tagName === "meta" && getAttr(el, "http-equiv") !== undefined)
    refuse(ctx, where, "<meta http-equiv> can refresh or redirect the widget to a page the gate never sees");
  if (html && RAW_TEXT.has(el.tagName) && !ctx.fromScript) {
    const end = el.sourceCodeLocation?.endTag;
    if (!end || end.endOffset > PREFIX.length + ctx.code.length)
      refuse(ctx, where, `<${el.tagName}> is not closed within widget_code`);
  }
  let boundAttr: string | null = null;
  if (el.tagName === "script") {
    checkScript(ctx, el, where);
    boundAttr = "src";
  } else if (html && el.tagName === "link" && checkLink(ctx, el, where)) boundAttr = "href";
  // An SVG <style> is CSS too, though its content is parsed as markup.
  else if (el.tagName === "style") checkCss(ctx, textOf(el), where);
  checkAttributes(ctx, el, where, boundAttr);
};

const walk = (ctx: Ctx, node: Node): void => {
  if (node.nodeName === "#text") {
    const text = node as T.TextNode;
    const parent = text.parentNode;
    // Script and style text is read by their own analysers.
    const owner = parent && isElement(parent as Node) ? (parent as T.Element).tagName : "";
    if (owner !== "script" && owner !== "style" && !ctx.fromScript) checkText(ctx, text.value, lineOf(ctx, text));
    return;
  }
  if (node.nodeName === "#comment") {
    if (!ctx.fromScript) checkText(ctx, (node as T.CommentNode).data, lineOf(ctx, node as T.CommentNode));
    return;
  }
  if (isElement(node)) {
    checkElement(ctx, node);
    if (node.tagName === "template" && "content" in node)
      walk({ ...ctx, inTemplate: true }, (node as T.Template).content);
  }
  if ("childNodes" in node) for (const child of node.childNodes) walk(ctx, child);
};

const refuseDropped = (ctx: Ctx, dropped: readonly StartTag[], where: (offset: number | null) => string): void => {
  for (const tag of dropped)
    refuse(
      ctx,
      where(tag.offset),
      `the HTML parser drops this <${tag.tagName}> here, and browsers differ on it (current ones keep any element ` +
        `inside <select>); remove it or fix the markup around it`,
    );
};

// Refusals and references found in markup built by a script go to the same lists; the flags differ.
const walkMarkupFromScript = (ctx: Ctx, markup: string): void => {
  if (ctx.fromScript) return;
  const { fragment, dropped } = parseMarkup(markup);
  const inner: Ctx = { ...ctx, fromScript: true, inTemplate: false };
  refuseDropped(inner, dropped, () => "in markup built by a script");
  walk(inner, fragment);
};

const lineAt = (code: string, offset: number): number => code.slice(0, Math.max(0, offset)).split("\n").length;

/** Reads widget_code as the browser will: every URL it can load, with where it is and how it is loaded. */
export const analyzeWidget = (widgetCode: string): WidgetAnalysis => {
  const code = widgetCode.trim();
  const ctx: Ctx = { code, refs: [], refusals: [], fromScript: false, inTemplate: false };
  const { document, dropped } = parseDocument(`${PREFIX}${code}${SUFFIX}`);
  refuseDropped(ctx, dropped, (offset) =>
    offset === null ? "widget_code" : `line ${lineAt(code, offset - PREFIX.length)}`,
  );
  walk(ctx, document);
  return { code, refs: ctx.refs, refusals: ctx.refusals };
};
