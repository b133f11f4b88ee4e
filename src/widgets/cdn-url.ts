import semver from "semver";
import validateName from "validate-npm-package-name";
import type { ErrorCode } from "../errors.js";

/** The public CDN origins OpenClaw's widget CSP allows (WIDGET_CDN_ORIGINS in openclaw/plugin-sdk/widget-html). */
export const CDN_HOSTS = {
  "cdn.jsdelivr.net": "jsdelivr",
  "unpkg.com": "unpkg",
  "esm.sh": "esm.sh",
  "cdnjs.cloudflare.com": "cdnjs",
  "fonts.googleapis.com": "fonts",
  "fonts.gstatic.com": "fonts",
  "fonts.bunny.net": "fonts",
} as const;
export type CdnHost = keyof typeof CDN_HOSTS;
export type CdnKind = (typeof CDN_HOSTS)[CdnHost];

export const isCdnHost = (host: string): host is CdnHost => Object.hasOwn(CDN_HOSTS, host);

/** One file of one exact npm release, as a CDN serves it. */
export type CdnLibrary = {
  cdn: "jsdelivr" | "unpkg" | "esm.sh";
  name: string;
  version: string;
  /** The file inside the package ("" for an esm.sh module root). */
  path: string;
  /** The URL rebuilt from the parts above: what a rewritten tag loads. */
  url: string;
  /** jsdelivr /npm/ and unpkg serve the package's own files, so a tarball file's hash is the served bytes' hash. */
  hashable: boolean;
};
export type CdnFont = { cdn: "fonts"; url: string };
export type CdnTarget = CdnLibrary | CdnFont;

export type MapResult =
  | { ok: true; target: CdnTarget }
  | { ok: false; code: ErrorCode; message: string; package?: string };

const fail = (code: ErrorCode, message: string, name?: string): MapResult =>
  name ? { ok: false, code, message, package: name } : { ok: false, code, message };

// Characters a package file path may use in a widget URL. Anything else would need percent-encoding, and a CDN that
// decodes `%2F` or `%2e` after the browser normalised the path would serve another file than the one we hashed.
const PATH_SEGMENT = /^[A-Za-z0-9._~@+-]+$/;
// esm.sh query parameters that do not change which package or version is served. `deps`, `alias`, `external`,
// `exports` and `conditions` do, and are refused.
const ESM_SH_QUERY = new Set(["bundle", "standalone", "dev", "target"]);
const ESM_SH_TARGET = /^(?:es20\d\d|esnext|deno|denonext|node)$/;

/** `name@version` then the rest of the path: `@scope/name@1.2.3/dist/x.js` or `d3@7.9.0/dist/d3.min.js`. */
const splitSpec = (spec: string): { name: string; version: string | null; rest: string } => {
  const scoped = spec.startsWith("@");
  const parts = spec.split("/");
  const head = scoped ? `${parts[0]}/${parts[1] ?? ""}` : (parts[0] ?? "");
  const rest = parts.slice(scoped ? 2 : 1).join("/");
  const at = head.indexOf("@", scoped ? 1 : 0);
  return at === -1
    ? { name: head, version: null, rest }
    : { name: head.slice(0, at), version: head.slice(at + 1), rest };
};

const checkName = (name: string): string | null => {
  if (name === "" || !validateName(name).validForOldPackages) return `'${name}' is not a valid npm package name`;
  return null;
};

/** Widgets must pin: an exact version as npm writes it, never a range, a tag or a bare name. */
const checkVersion = (name: string, version: string | null): string | null => {
  if (version === null || version === "")
    return `${name} has no version; widgets must pin an exact version (e.g. ${name}@1.2.3)`;
  if (semver.valid(version) !== version)
    return (
      `${name}@${version} is not an exact version (ranges, tags such as 'latest' and partial versions are refused); ` +
      `pin one release, e.g. ${name}@1.2.3`
    );
  return null;
};

const checkFilePath = (rest: string, example: string): string | null => {
  if (rest === "" || rest.endsWith("/"))
    return `the URL names no file of the package; name the file itself, e.g. ${example}`;
  for (const segment of rest.split("/")) {
    if (!PATH_SEGMENT.test(segment) || segment === "." || segment === "..")
      return `the file path '${rest}' has characters a package path may not use in a widget URL`;
  }
  return null;
};

const library = (
  cdn: CdnLibrary["cdn"],
  spec: string,
  build: (name: string, version: string, path: string) => string,
): MapResult => {
  const { name, version, rest } = splitSpec(spec);
  const badName = checkName(name);
  if (badName) return fail("INVALID_REQUIREMENT", badName);
  const badVersion = checkVersion(name, version);
  if (badVersion) return fail("INVALID_REQUIREMENT", badVersion, name);
  const pinned = version!;
  if (cdn !== "esm.sh") {
    // jsdelivr builds `+esm` and `/esm` modules itself: those bytes are in no tarball.
    if (rest.split("/").some((s) => s.startsWith("+")))
      return fail("NOT_WHITELISTED", `${name}@${pinned}/${rest} is built by the CDN, not a file of the package`, name);
    const badPath = checkFilePath(rest, build(name, pinned, "dist/file.min.js"));
    if (badPath) return fail("INVALID_REQUIREMENT", badPath, name);
  } else if (rest !== "") {
    const badPath = checkFilePath(rest, build(name, pinned, ""));
    if (badPath) return fail("INVALID_REQUIREMENT", badPath, name);
  }
  return {
    ok: true,
    target: { cdn, name, version: pinned, path: rest, url: build(name, pinned, rest), hashable: cdn !== "esm.sh" },
  };
};

const esmShQuery = (search: URLSearchParams): string | null => {
  for (const [key, value] of search) {
    if (!ESM_SH_QUERY.has(key)) return `the esm.sh option '${key}' changes what is served and is refused`;
    if (key === "target" && !ESM_SH_TARGET.test(value)) return `the esm.sh target '${value}' is not known`;
  }
  return null;
};

/**
 * Maps a URL naming a CDN host to the npm file it serves, or says why it is refused. The URL must be in canonical
 * form (https, no userinfo, no port, no query for the npm CDNs, no dot segments or percent-encoding): what we
 * check is then exactly what the browser asks for. Protocol-relative `//host/…` is read as https.
 */
export const mapCdnUrl = (text: string): MapResult => {
  // oxlint-disable-next-line no-control-regex -- the URL parser strips these, so they are exactly what is trimmed
  const raw = text.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "");
  // oxlint-disable-next-line no-control-regex -- control characters inside a URL are refused, not guessed at
  if (/[\x00-\x1f\x7f\\]/.test(raw))
    return fail("INVALID_REQUIREMENT", "the URL contains control characters or backslashes");
  const absolute = raw.startsWith("//") ? `https:${raw}` : raw;
  let url: URL;
  try {
    url = new URL(absolute);
  } catch {
    return fail("INVALID_REQUIREMENT", "the URL cannot be parsed");
  }
  if (!isCdnHost(url.hostname)) return fail("NOT_WHITELISTED", `${url.hostname} is not a CDN widgets may load from`);
  if (url.protocol !== "https:") return fail("INVALID_REQUIREMENT", "widget libraries load over https only");
  const afterScheme = absolute.slice(absolute.indexOf(":") + 1);
  const authorityEnd = afterScheme.slice(2).search(/[/?#]|$/) + 2;
  const authority = afterScheme.slice(2, authorityEnd);
  const rawPath = afterScheme.slice(authorityEnd).split(/[?#]/)[0] ?? "";
  // Userinfo, ports, percent-encoded or non-ASCII host spellings, dot segments and encoded characters: the
  // browser would request a normalised URL that differs from the text, so we refuse rather than guess.
  if (!afterScheme.startsWith("//") || authority.toLowerCase() !== url.host || url.port !== "")
    return fail("INVALID_REQUIREMENT", `the host part '${authority}' is not a plain host name`);
  if (rawPath !== url.pathname || url.pathname.includes("%"))
    return fail(
      "INVALID_REQUIREMENT",
      "the path is not in plain form (dot segments, percent-encoding, or characters the browser would encode)",
    );
  const host = url.hostname as CdnHost;
  const kind = CDN_HOSTS[host];
  if (kind === "fonts") return { ok: true, target: { cdn: "fonts", url: url.href.replace(/#.*$/, "") } };
  if (kind === "cdnjs")
    return fail(
      "NOT_WHITELISTED",
      "cdnjs library names and file layouts are cdnjs's own, not npm packages, so neither the whitelist nor SRI can " +
        "bind them; load the same release from cdn.jsdelivr.net/npm/ or unpkg.com",
    );
  const path = url.pathname.slice(1);
  if (kind === "esm.sh") {
    const bad = esmShQuery(url.searchParams);
    if (bad) return fail("INVALID_REQUIREMENT", bad);
    const query = url.search;
    return library("esm.sh", path, (n, v, p) => `https://esm.sh/${n}@${v}${p ? `/${p}` : ""}${query}`);
  }
  if (url.search !== "")
    return fail("INVALID_REQUIREMENT", `a query string changes what ${host} serves; remove '${url.search}'`);
  if (kind === "unpkg") return library("unpkg", path, (n, v, p) => `https://unpkg.com/${n}@${v}/${p}`);
  const [area, ...rest] = path.split("/");
  if (area !== "npm")
    return fail(
      "NOT_WHITELISTED",
      `cdn.jsdelivr.net/${area}/ serves ${area === "gh" ? "GitHub repositories" : "files"} outside npm; only ` +
        `/npm/<name>@<version>/<file> can be checked`,
    );
  return library("jsdelivr", rest.join("/"), (n, v, p) => `https://cdn.jsdelivr.net/npm/${n}@${v}/${p}`);
};

/** `pkg:npm/%40scope/name@1.2.3` (purl spec: the scope's `@` is encoded). */
export const npmPurl = (name: string, version: string): string =>
  `pkg:npm/${name.startsWith("@") ? `%40${name.slice(1)}` : name}@${version}`;
