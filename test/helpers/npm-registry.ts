/**
 * A loopback npm registry, so tests never reach registry.npmjs.org. It serves full packuments
 * (`GET /<name>`, scoped as `/@scope%2fname` or `/@scope/name`) whose versions carry `dist.tarball` and
 * `dist.integrity` (sha512, as the real registry), and the tarballs themselves (`/<name>/-/<file>.tgz`), packed
 * here from each spec's files with a deterministic tar writer. Point npm at `registry.url`.
 *
 * Fixtures for the hostile cases: `tamper()` serves other bytes than the packument's integrity promises;
 * `rawTarballUrl()` is the same tarball at a path outside the registry layout (for a URL dependency spec);
 * any spec may depend on `git+https://…`, `file:…` or `npm:` aliases as written; `markerScripts()` gives a
 * package lifecycle scripts that would write a file, to prove they never ran.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tarGz, type TarEntry } from "./tar.js";

export type NpmPackageSpec = {
  /** Plain or scoped (`@scope/name`). */
  name: string;
  version: string;
  /** Written into package.json as given: ranges, tags, or hostile specs (git, URL, file, npm: alias). */
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
  /** Files besides package.json (paths inside the package). Default: an index.js exporting name and version. */
  files?: Record<string, string>;
  /** Publish without `dist.integrity` (only the legacy sha1 `shasum`), as very old packages are. */
  sha1Only?: boolean;
  /** Extra package.json fields (e.g. `bin`, `main`). */
  manifest?: Record<string, unknown>;
};

export type NpmRegistryOptions = {
  packages: readonly NpmPackageSpec[];
  /** Which version `latest` points at, per name; default the last spec of each name. */
  latest?: Record<string, string>;
};

export type NpmRegistry = {
  /** Registry root with a trailing slash, e.g. `http://127.0.0.1:41234/`: npm's `--registry`. */
  url: string;
  /** Every request path, in order. */
  requests: string[];
  /** Where the registry serves a version's tarball (as the packument says). */
  tarballUrl(name: string, version: string): string;
  /** The same tarball at a path outside the registry layout, for `"dep": "<url>"` specs. */
  rawTarballUrl(name: string, version: string): string;
  /** The packument's `dist.integrity` of a version (`sha512-…`). */
  integrity(name: string, version: string): string;
  /** The tarball bytes the packument's integrity describes. */
  tarball(name: string, version: string): Buffer;
  /** From now on, serve bytes that do not match the packument's integrity for this version (`false` undoes it). */
  tamper(name: string, version: string, on?: boolean): void;
  /** Publishes another version (or package) while the registry runs. */
  publish(spec: NpmPackageSpec): void;
  close(): Promise<void>;
};

type Published = { spec: NpmPackageSpec; tarball: Buffer; integrity: string; shasum: string };

const packageJson = (spec: NpmPackageSpec): Record<string, unknown> => ({
  name: spec.name,
  version: spec.version,
  main: "index.js",
  ...(spec.dependencies ? { dependencies: spec.dependencies } : {}),
  ...(spec.peerDependencies ? { peerDependencies: spec.peerDependencies } : {}),
  ...(spec.optionalDependencies ? { optionalDependencies: spec.optionalDependencies } : {}),
  ...(spec.scripts ? { scripts: spec.scripts } : {}),
  ...spec.manifest,
});

/** The tarball of a spec, laid out as `npm pack` does (everything under `package/`). */
export const packSpec = (spec: NpmPackageSpec): Buffer => {
  const files = spec.files ?? {
    "index.js": `module.exports = ${JSON.stringify({ name: spec.name, version: spec.version })};\n`,
  };
  const entries: TarEntry[] = [
    { path: "package/package.json", content: `${JSON.stringify(packageJson(spec), null, 2)}\n` },
    ...Object.entries(files).map(([path, content]) => ({ path: `package/${path}`, content })),
  ];
  return tarGz(entries);
};

const publishOne = (spec: NpmPackageSpec): Published => {
  const tarball = packSpec(spec);
  return {
    spec,
    tarball,
    integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
    shasum: createHash("sha1").update(tarball).digest("hex"),
  };
};

const baseName = (name: string): string => name.slice(name.lastIndexOf("/") + 1);
const tarballFile = (name: string, version: string): string => `${baseName(name)}-${version}.tgz`;

/**
 * Lifecycle scripts that would each write `<markerDir>/<script>-<name>` if npm ever ran them (use a folder the
 * test owns and assert it stays empty).
 */
export const markerScripts = (markerDir: string, name: string): Record<string, string> => {
  if (/['"\\$`]/.test(markerDir)) throw new Error(`markerScripts: no quotes or shell characters in ${markerDir}`);
  const write = (script: string): string =>
    `node -e "require('fs').writeFileSync('${markerDir}/${script}-${baseName(name)}', 'ran')"`;
  return { preinstall: write("preinstall"), install: write("install"), postinstall: write("postinstall") };
};

const send = (res: ServerResponse, status: number, body: string | Buffer, type: string): void => {
  res.writeHead(status, { "content-type": type, "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
};

export const startNpmRegistry = async (options: NpmRegistryOptions): Promise<NpmRegistry> => {
  const byName = new Map<string, Map<string, Published>>();
  const tampered = new Set<string>();
  const requests: string[] = [];
  const latest = { ...options.latest };
  const publish = (spec: NpmPackageSpec): void => {
    const versions = byName.get(spec.name) ?? new Map<string, Published>();
    versions.set(spec.version, publishOne(spec));
    byName.set(spec.name, versions);
  };
  for (const spec of options.packages) publish(spec);

  let base = "";
  const tarballUrl = (name: string, version: string): string => `${base}${name}/-/${tarballFile(name, version)}`;
  const find = (name: string, version: string): Published => {
    const found = byName.get(name)?.get(version);
    if (!found) throw new Error(`the test registry has no ${name}@${version}`);
    return found;
  };

  const packument = (name: string, versions: Map<string, Published>): string => {
    const list = [...versions.values()];
    const body = {
      _id: name,
      name,
      "dist-tags": { latest: latest[name] ?? list.at(-1)!.spec.version },
      versions: Object.fromEntries(
        list.map((p) => [
          p.spec.version,
          {
            ...packageJson(p.spec),
            _id: `${name}@${p.spec.version}`,
            dist: {
              tarball: tarballUrl(name, p.spec.version),
              shasum: p.shasum,
              ...(p.spec.sha1Only ? {} : { integrity: p.integrity }),
            },
          },
        ]),
      ),
      time: Object.fromEntries(list.map((p) => [p.spec.version, "2024-01-01T00:00:00.000Z"])),
    };
    return JSON.stringify(body);
  };

  const bytesOf = (p: Published): Buffer => {
    if (!tampered.has(`${p.spec.name}@${p.spec.version}`)) return p.tarball;
    // A real, well-formed tarball with one byte of code changed: only the integrity check can tell.
    return packSpec({ ...p.spec, files: { ...p.spec.files, "index.js": "module.exports = 'tampered';\n" } });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push(path);
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "method not allowed\n", "text/plain");
    const raw = /^\/-\/raw\/(.+)\/(\d[^/]*)\.tgz$/.exec(path);
    if (raw) {
      const p = byName.get(raw[1]!)?.get(raw[2]!);
      return p ? send(res, 200, bytesOf(p), "application/octet-stream") : send(res, 404, "{}", "application/json");
    }
    const file = /^\/((?:@[^/]+\/)?[^/@]+)\/-\/([^/]+\.tgz)$/.exec(path);
    if (file) {
      const p = [...(byName.get(file[1]!)?.values() ?? [])].find(
        (x) => tarballFile(x.spec.name, x.spec.version) === file[2],
      );
      return p ? send(res, 200, bytesOf(p), "application/octet-stream") : send(res, 404, "{}", "application/json");
    }
    const name = path.slice(1);
    const versions = byName.get(name);
    if (!versions) return send(res, 404, JSON.stringify({ error: "Not found" }), "application/json");
    send(res, 200, packument(name, versions), "application/json");
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      send(res, 500, String(error), "text/plain");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    requests,
    tarballUrl,
    rawTarballUrl: (name, version) => `${base}-/raw/${name}/${version}.tgz`,
    integrity: (name, version) => find(name, version).integrity,
    tarball: (name, version) => find(name, version).tarball,
    tamper: (name, version, on = true) => {
      find(name, version);
      if (on) tampered.add(`${name}@${version}`);
      else tampered.delete(`${name}@${version}`);
    },
    publish,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
