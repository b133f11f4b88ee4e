import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWheel, normalize, sha256Hex, wheelFilename, type WheelSpec } from "./wheels.js";

export type { WheelSpec } from "./wheels.js";

/**
 * Stand-ins for the packages the tests and the demo talk about. Names match the default whitelist
 * (config/package_whitelist_default.yaml) so policy and install meet on the same names; pyyaml 5.3 is the
 * known-vulnerable one (PyPA advisory PYSEC-2020-96, fixed in 5.3.1).
 */
export const DEMO_PACKAGES: readonly WheelSpec[] = [
  { name: "tinycalc", version: "1.0.0" },
  { name: "tinycalc", version: "1.1.0" },
  { name: "tinycalc", version: "2.0.0" },
  { name: "datakit", version: "1.0.0", requires: ["tinycalc>=1,<2"] },
  { name: "numpy", version: "1.26.4" },
  { name: "numpy", version: "2.1.0" },
  { name: "pandas", version: "2.2.3", requires: ["numpy>=1.26"] },
  { name: "urllib3", version: "2.2.3" },
  { name: "idna", version: "3.10" },
  { name: "certifi", version: "2024.8.30" },
  { name: "charset-normalizer", version: "3.4.0" },
  {
    name: "requests",
    version: "2.32.3",
    requires: ["charset-normalizer<4,>=2", "idna<4,>=2.5", "urllib3<3,>=1.21.1", "certifi>=2017.4.17"],
  },
  { name: "soupsieve", version: "2.6" },
  { name: "beautifulsoup4", version: "4.12.3", module: "bs4", requires: ["soupsieve>1.2"] },
  { name: "pyyaml", version: "5.3", module: "yaml" },
  { name: "pyyaml", version: "6.0.2", module: "yaml" },
];

/**
 * A wheel as the index lists it: when it was uploaded (PEP 700 `upload-time`, what uv's `--exclude-newer` cooldown
 * compares) and whether it is yanked (PEP 592: `true` or the reason).
 */
export type IndexedWheel = WheelSpec & { uploadedAt?: string; yanked?: boolean | string };

/**
 * Every wheel is listed as uploaded at this time unless its spec says otherwise: long past any cooldown, like the
 * established releases the tests stand in for.
 */
export const DEFAULT_UPLOAD_TIME = "2024-01-02T03:04:05.000000Z";

export type PackageIndexOptions = {
  packages: readonly IndexedWheel[];
  /** Where wheels are built (shared between runs; each spec gets its own subfolder). */
  dir?: string;
  /** Delay before every response, to widen race windows. */
  delayMs?: number;
  /** URL paths (e.g. "/files/tinycalc-1.1.0-py3-none-any.whl") answered with `failStatus`. */
  failPaths?: string[];
  /** Default 500 (which uv retries with backoff, taking seconds); 404 fails at once. */
  failStatus?: number;
  /**
   * "both" (default): PEP 691 JSON (with PEP 700 upload times) to clients that ask for it, else PEP 503 HTML.
   * "html": HTML only, as a plain static mirror serves it (no upload times).
   */
  formats?: "both" | "html";
};

export type PackageIndex = {
  /** PEP 503 simple index root, e.g. http://127.0.0.1:41234/simple */
  url: string;
  /** Every request path, in order. */
  requests: string[];
  /** Live: add or remove paths to make them fail from now on. */
  failPaths: Set<string>;
  /** Live: the next N requests for a path fail (with `failStatus`), then it is served again: a flaky index. */
  failNext: Map<string, number>;
  /** Publishes another release while the index runs (a newer version appearing upstream). */
  add(spec: WheelSpec): Promise<void>;
  /** Resolves when a request for `path` arrives (now or later): an event to synchronize on. */
  requested(path: string): Promise<void>;
  /** URL path of a spec's wheel, for failPaths. */
  fileUrlPath(spec: Pick<WheelSpec, "name" | "version">): string;
  close(): Promise<void>;
};

// Shared between runs on purpose, so it lives in the real temp folder, not a test file's own TMPDIR (setup/tmp-guard).
export const DEFAULT_WHEEL_CACHE = join(process.env.PG_TEST_SHARED_TMPDIR ?? tmpdir(), "package-guard-test-wheels");

const specKey = ({ uploadedAt: _u, yanked: _y, ...spec }: IndexedWheel): string =>
  createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 16);

type Served = { spec: IndexedWheel; filename: string; path: string; sha256: string; size: number };

export const SIMPLE_JSON = "application/vnd.pypi.simple.v1+json";

const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const projectPage = (name: string, files: Served[]): string => {
  const links = files.map((f) => {
    const rp = f.spec.requiresPython ? ` data-requires-python="${escapeHtml(f.spec.requiresPython)}"` : "";
    const yanked = f.spec.yanked
      ? ` data-yanked="${typeof f.spec.yanked === "string" ? escapeHtml(f.spec.yanked) : ""}"`
      : "";
    return `<a href="../../files/${f.filename}#sha256=${f.sha256}"${rp}${yanked}>${f.filename}</a><br/>`;
  });
  return (
    `<!DOCTYPE html>\n<html><head><title>Links for ${name}</title></head><body><h1>Links for ` +
    `${name}</h1>\n${links.join("\n")}\n</body></html>\n`
  );
};

/** PEP 691 JSON with the PEP 700 fields (api-version 1.1: versions, size, upload-time). */
const projectJson = (name: string, files: Served[]): string =>
  JSON.stringify({
    meta: { "api-version": "1.1" },
    name,
    versions: [...new Set(files.map((f) => f.spec.version))],
    files: files.map((f) => ({
      filename: f.filename,
      url: `/files/${f.filename}`,
      hashes: { sha256: f.sha256 },
      ...(f.spec.requiresPython ? { "requires-python": f.spec.requiresPython } : {}),
      yanked: f.spec.yanked ?? false,
      size: f.size,
      "upload-time": f.spec.uploadedAt ?? DEFAULT_UPLOAD_TIME,
    })),
  });

const wantsJson = (req: IncomingMessage, formats: "both" | "html"): boolean =>
  formats === "both" && (req.headers.accept ?? "").includes(SIMPLE_JSON);

/** A loopback PEP 503 index: `/simple/`, `/simple/<project>/`, `/files/<wheel>`; 404 for anything else. */
export const startPackageIndex = async (options: PackageIndexOptions): Promise<PackageIndex> => {
  const cache = options.dir ?? DEFAULT_WHEEL_CACHE;
  const byProject = new Map<string, Served[]>();
  const byFile = new Map<string, Served>();
  const requests: string[] = [];
  const failPaths = new Set(options.failPaths ?? []);
  const failNext = new Map<string, number>();
  const waiters = new Map<string, (() => void)[]>();
  const add = async (spec: WheelSpec): Promise<void> => {
    const path = await buildWheel(join(cache, specKey(spec)), spec);
    const data = await readFile(path);
    const served: Served = { spec, filename: wheelFilename(spec), path, sha256: sha256Hex(data), size: data.length };
    const project = normalize(spec.name);
    byProject.set(project, [...(byProject.get(project) ?? []), served]);
    byFile.set(served.filename, served);
  };
  for (const spec of options.packages) await add(spec);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    requests.push(path);
    for (const wake of waiters.get(path) ?? []) wake();
    waiters.delete(path);
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const flaky = failNext.get(path) ?? 0;
    if (flaky > 0) failNext.set(path, flaky - 1);
    if (failPaths.has(path) || flaky > 0)
      return void res.writeHead(options.failStatus ?? 500, { "content-type": "text/plain" }).end("injected failure\n");
    const json = wantsJson(req, options.formats ?? "both");
    if ((path === "/simple" || path === "/simple/") && json) {
      const projects = [...byProject.keys()].toSorted().map((name) => ({ name }));
      return void res
        .writeHead(200, { "content-type": SIMPLE_JSON })
        .end(JSON.stringify({ meta: { "api-version": "1.1" }, projects }));
    }
    if (path === "/simple" || path === "/simple/") {
      const links = [...byProject.keys()].toSorted().map((p) => `<a href="/simple/${p}/">${p}</a><br/>`);
      return void res
        .writeHead(200, { "content-type": "text/html" })
        .end(`<!DOCTYPE html>\n<html><body>\n${links.join("\n")}\n</body></html>\n`);
    }
    const project = /^\/simple\/([^/]+)\/?$/.exec(path)?.[1];
    if (project !== undefined) {
      const name = normalize(decodeURIComponent(project));
      const files = byProject.get(name);
      if (!files) return void res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      if (!path.endsWith("/") || name !== project)
        return void res.writeHead(301, { location: `/simple/${name}/` }).end();
      if (json) return void res.writeHead(200, { "content-type": SIMPLE_JSON }).end(projectJson(name, files));
      return void res.writeHead(200, { "content-type": "text/html" }).end(projectPage(name, files));
    }
    const file = /^\/files\/([^/]+)$/.exec(path)?.[1];
    const served = file === undefined ? undefined : byFile.get(decodeURIComponent(file));
    if (!served) return void res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    const data = await readFile(served.path);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(data.length) }).end(data);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/simple`,
    requests,
    failPaths,
    failNext,
    add,
    requested: (path) =>
      requests.includes(path)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.set(path, [...(waiters.get(path) ?? []), resolve])),
    fileUrlPath: (spec) => `/files/${wheelFilename({ name: spec.name, version: spec.version })}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
