import { CDN_HOSTS, isCdnHost } from "./cdn-url.js";

export type Mentions = {
  /** Each CDN URL found, as written from its scheme (or its `//`) to its end. */
  urls: string[];
  /** A CDN host named outside any URL we could read ("cdn.jsdelivr" + ".net", a bare host, an encoded one). */
  stray: string | null;
};

const HOSTS = Object.keys(CDN_HOSTS);
// Where a URL written in text ends: whitespace, quotes, angle brackets, backticks, and what CSS or JS wraps it in.
const URL_END = /[\s"'<>`(){}[\]|^,;]/;
const SCHEME_BEFORE = /([A-Za-z][A-Za-z0-9+.-]*:)$/;
const SLASHES = /[/\\]{2}/g;
const MAX_URL = 8_192;

const decodePercent = (text: string): string =>
  text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

/**
 * The text as a URL host parser would see a host in it: percent-decoded, NFKC (fullwidth letters, ideographic full
 * stops), lower case, with the code points IDNA maps to nothing removed (soft hyphen, zero-width characters).
 */
const hostView = (text: string): string =>
  decodePercent(text)
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\u3002\uff0e\uff61]/g, ".")
    .replace(/\p{Default_Ignorable_Code_Point}|[\t\n\r]/gu, "");

const count = (haystack: string, needle: string): number => {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
};

/**
 * Every CDN URL in a piece of decoded text (an attribute value, a text node, a JS or CSS string). Each `//` starts a
 * candidate, which the WHATWG URL parser (the browser's) reads as https; those whose host is a CDN are returned. Then
 * every spelling of a CDN host in the text must be accounted for by one of them, or the text is reported as stray:
 * a host that only turns into a URL after some code joins or decodes it is not something we can check.
 */
export const findCdnMentions = (text: string): Mentions => {
  const flat = text.replace(/[\t\n\r]/g, "");
  const urls: string[] = [];
  for (const match of flat.matchAll(SLASHES)) {
    const start = match.index;
    if (start > 0 && /[/\\]/.test(flat[start - 1]!)) continue;
    // Bounded, so text full of `//` costs linear time; a longer URL is cut and then fails its mapping, closed.
    const tail = flat.slice(start, start + MAX_URL);
    const end = tail.slice(2).search(URL_END);
    const candidate = end === -1 ? tail : tail.slice(0, end + 2);
    let host: string;
    try {
      host = new URL(`https:${candidate}`).hostname;
    } catch {
      continue;
    }
    if (!isCdnHost(host)) continue;
    const scheme = SCHEME_BEFORE.exec(flat.slice(0, start))?.[1] ?? "";
    urls.push(`${scheme}${candidate}`);
  }
  const view = hostView(flat);
  const mentioned = HOSTS.reduce((n, host) => n + count(view, host), 0);
  const accounted = urls.reduce((n, url) => n + HOSTS.reduce((m, host) => m + count(hostView(url), host), 0), 0);
  const strayHost = mentioned > accounted ? (HOSTS.find((h) => view.includes(h)) ?? null) : null;
  return { urls, stray: strayHost };
};
