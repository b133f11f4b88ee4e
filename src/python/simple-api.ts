import { PackageGuardError } from "../errors.js";
import { isRecord } from "../util/is-record.js";
import { redactUrl } from "../util/redact.js";

/** One file of a project as the index lists it. */
export type IndexFile = {
  filename: string;
  /** Absolute, without credentials. */
  url: string;
  /** Lowercase hex, or null when the index gives none. */
  sha256: string | null;
  /** PEP 592: false, or the reason ("" when none is given). */
  yanked: false | string;
  /** PEP 700 (JSON only): ISO 8601, or null. */
  uploadTime: string | null;
  size: number | null;
};

export type FetchFn = typeof fetch;

const JSON_TYPE = "application/vnd.pypi.simple.v1+json";
const ACCEPT = `${JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01`;
/** A project page past this is refused rather than read into memory (PyPI's largest JSON pages are a few MB). */
export const MAX_PAGE_BYTES = 32 * 1024 * 1024;

const unreadable = (message: string, details: Record<string, unknown> = {}): PackageGuardError =>
  new PackageGuardError("INSTALL_FAILED", message, { details: { reason: "index-metadata", ...details } });

const stripCredentials = (url: URL): string => {
  const copy = new URL(url);
  copy.username = "";
  copy.password = "";
  copy.hash = "";
  return copy.toString();
};

const yankedOf = (value: unknown): false | string => (value === true ? "" : typeof value === "string" ? value : false);

/** PEP 691 JSON (with the PEP 700 fields when the index serves them). */
export const parseJsonPage = (text: string, pageUrl: URL): IndexFile[] => {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw unreadable(`The index page ${redactUrl(pageUrl.toString())} is not valid JSON`);
  }
  const files = isRecord(data) ? data.files : undefined;
  if (!Array.isArray(files)) throw unreadable(`The index page ${redactUrl(pageUrl.toString())} lists no files`);
  return files.filter(isRecord).flatMap((f): IndexFile[] => {
    if (typeof f.filename !== "string" || typeof f.url !== "string") return [];
    const sha256 = isRecord(f.hashes) && typeof f.hashes.sha256 === "string" ? f.hashes.sha256.toLowerCase() : null;
    return [
      {
        filename: f.filename,
        url: stripCredentials(new URL(f.url, pageUrl)),
        sha256,
        yanked: yankedOf(f.yanked),
        uploadTime: typeof f["upload-time"] === "string" ? f["upload-time"] : null,
        size: typeof f.size === "number" ? f.size : null,
      },
    ];
  });
};

/** PEP 503 HTML: anchors with `#sha256=` fragments and PEP 592 `data-yanked`; no upload times. */
export const parseHtmlPage = async (text: string, pageUrl: URL): Promise<IndexFile[]> => {
  // Loaded only for an index that does not speak JSON, not with every CLI command.
  const { Parser } = await import("htmlparser2");
  const out: IndexFile[] = [];
  let base = pageUrl;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === "base" && attributes.href) base = new URL(attributes.href, pageUrl);
        if (name !== "a" || attributes.href === undefined) return;
        const url = new URL(attributes.href, base);
        const sha256 = /^#?sha256=([0-9a-fA-F]{64})$/.exec(url.hash)?.[1]?.toLowerCase() ?? null;
        const filename = decodeURIComponent(url.pathname.split("/").at(-1) ?? "");
        if (filename === "") return;
        out.push({
          filename,
          url: stripCredentials(url),
          sha256,
          yanked: Object.hasOwn(attributes, "data-yanked") ? (attributes["data-yanked"] ?? "") : false,
          uploadTime: null,
          size: null,
        });
      },
    },
    { decodeEntities: true, lowerCaseAttributeNames: true },
  );
  parser.write(text);
  parser.end();
  return out;
};

const readCapped = async (response: Response, max: number): Promise<string> => {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw unreadable(`An index page is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
};

/**
 * Every file the index lists for `name` (PEP 503 normalized), from the same index the resolver used: PEP 691 JSON
 * when the index speaks it, HTML otherwise. SECURITY: credentials in `index.url` travel as a Basic header, never in
 * a URL that could reach a message, and nothing here runs a process.
 */
export const fetchProjectFiles = async (
  indexUrl: string,
  name: string,
  options: { fetch?: FetchFn; timeoutMs: number; signal?: AbortSignal },
): Promise<IndexFile[]> => {
  const page = new URL(`${indexUrl.replace(/\/+$/, "")}/${encodeURIComponent(name)}/`);
  const headers: Record<string, string> = { Accept: ACCEPT };
  if (page.username || page.password) {
    const user = decodeURIComponent(page.username);
    const pass = decodeURIComponent(page.password);
    headers.Authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    page.username = "";
    page.password = "";
  }
  const shown = page.toString();
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(page, { headers, signal: AbortSignal.any(signals), redirect: "follow" });
  } catch (error) {
    throw unreadable(`Cannot read ${shown} to check release status: ${(error as Error).message}`, { package: name });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw unreadable(`Cannot read ${shown} to check release status: HTTP ${response.status}`, { package: name });
  }
  const text = await readCapped(response, MAX_PAGE_BYTES);
  const finalUrl = new URL(response.url || shown);
  return (response.headers.get("content-type") ?? "").includes(JSON_TYPE)
    ? parseJsonPage(text, finalUrl)
    : parseHtmlPage(text, finalUrl);
};
