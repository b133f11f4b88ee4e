import {
  isTokenAtKeyword,
  isTokenFunction,
  isTokenString,
  isTokenURL,
  isTokenWhiteSpaceOrComment,
  tokenize,
  type CSSToken,
} from "@csstools/css-tokenizer";

export type CssFindings = {
  /** The target of each @import, decoded (escapes resolved). */
  imports: string[];
  /** Every string and url() value, decoded: the rest of what a stylesheet can name. */
  strings: string[];
};

const valueOf = (token: CSSToken | undefined): string | null =>
  token && (isTokenString(token) || isTokenURL(token)) ? token[4].value : null;

/**
 * Reads a stylesheet (or a style attribute) with a CSS Syntax 3 tokenizer, so escapes (`@\69mport`, `\2e`) are
 * resolved as the browser resolves them before we look at a name or a URL.
 */
export const analyzeCss = (css: string): CssFindings => {
  const tokens = tokenize({ css }, { onParseError: () => undefined });
  const findings: CssFindings = { imports: [], strings: [] };
  tokens.forEach((token, i) => {
    const value = valueOf(token);
    if (value !== null) findings.strings.push(value);
    if (!isTokenAtKeyword(token) || token[4].value.toLowerCase() !== "import") return;
    let j = i + 1;
    while (j < tokens.length && isTokenWhiteSpaceOrComment(tokens[j])) j++;
    const next = tokens[j];
    // `@import url("…")` is a function token followed by the string; `@import url(…)` and `@import "…"` are one token.
    const target =
      next && isTokenFunction(next) && next[4].value.toLowerCase() === "url"
        ? valueOf(tokens.slice(j + 1).find((t) => !isTokenWhiteSpaceOrComment(t)))
        : valueOf(next);
    findings.imports.push(target ?? "");
  });
  return findings;
};
