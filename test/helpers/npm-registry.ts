import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export type NpmPackageSpec = {
  name: string;
  version: string;
  files?: Record<string, string>;
  scripts?: Record<string, string>;
};

export type NpmRegistry = {
  /** The registry URL, `http://127.0.0.1:<port>/`. */
  url: string;
  /** Every request path, in order. */
  requests: string[];
  close(): Promise<void>;
};

/**
 * A loopback npm registry serving packuments and tarballs built from `specs` (packages the tests make up), so npm
 * can install from somewhere that is not the internet.
 */
export const startNpmRegistry = async (specs: readonly NpmPackageSpec[]): Promise<NpmRegistry> => {
  const work = await mkdtemp(join(tmpdir(), "pg-npm-registry-"));
  const tarballs = new Map<string, Buffer>();
  const packuments = new Map<string, (base: string) => unknown>();
  for (const spec of specs) {
    const dir = join(work, `${spec.name}-${spec.version}`, "package");
    await mkdir(dir, { recursive: true });
    const manifest = { name: spec.name, version: spec.version, main: "index.js", scripts: spec.scripts ?? {} };
    await writeFile(join(dir, "package.json"), JSON.stringify(manifest));
    for (const [file, text] of Object.entries(spec.files ?? { "index.js": "module.exports = 1;\n" }))
      await writeFile(join(dir, file), text);
    const tgz = join(work, `${spec.name}-${spec.version}.tgz`);
    await promisify(execFile)("tar", ["-czf", tgz, "-C", join(dir, ".."), "package"]);
    const bytes = await readFile(tgz);
    const file = `${spec.name}-${spec.version}.tgz`;
    tarballs.set(`/${spec.name}/-/${file}`, bytes);
    packuments.set(`/${spec.name}`, (base) => ({
      name: spec.name,
      "dist-tags": { latest: spec.version },
      versions: {
        [spec.version]: {
          ...manifest,
          ...(spec.scripts ? { hasInstallScript: true } : {}),
          dist: {
            tarball: `${base}${spec.name}/-/${file}`,
            shasum: createHash("sha1").update(bytes).digest("hex"),
            integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
          },
        },
      },
    }));
  }
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "").split("?")[0] ?? "");
    requests.push(path);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const tarball = tarballs.get(path);
    if (tarball) {
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(tarball);
      return;
    }
    const packument = packuments.get(path);
    if (packument) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(packument(base)));
      return;
    }
    res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(work, { recursive: true, force: true });
    },
  };
};
