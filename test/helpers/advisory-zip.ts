/**
 * OSV ecosystem zips (the format of OSV's per-ecosystem `all.zip`: one `<ID>.json` per record) built from records the
 * tests write or from the repository's PyPA fixture, and a loopback server that serves them the way OSV's bucket does
 * (`/<ecosystem>/all.zip`).
 */
import { readdir, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parse } from "yaml";
import type { OsvRecord } from "./osv-server.js";
import { REPO_ROOT } from "./repo-root.js";
import { zip } from "./zip.js";

export const PYPA_FIXTURE = join(REPO_ROOT, "test", "fixtures", "pypa-advisories");

/** Every advisory of a PyPA-layout tree (`vulns/<project>/<ID>.yaml`) as OSV JSON records. */
export const treeRecords = async (root: string = PYPA_FIXTURE): Promise<OsvRecord[]> => {
  const vulns = join(root, "vulns");
  const records: OsvRecord[] = [];
  for (const project of (await readdir(vulns, { withFileTypes: true })).filter((e) => e.isDirectory())) {
    for (const file of (await readdir(join(vulns, project.name))).filter((f) => f.endsWith(".yaml")).toSorted()) {
      // The failsafe schema keeps versions as written ("3.10" stays "3.10").
      records.push(parse(await readFile(join(vulns, project.name, file), "utf8"), { schema: "failsafe" }) as OsvRecord);
    }
  }
  return records;
};

export const osvZip = (records: readonly OsvRecord[]): Buffer =>
  zip(records.map((r) => [`${r.id}.json`, Buffer.from(JSON.stringify(r))]));

/** A malware record as OSV serves OpenSSF's malicious-packages data. */
export const malwareRecord = (id: string, name: string, versions: string[], ecosystem = "PyPI"): OsvRecord => ({
  id,
  summary: `Malicious code in ${name} (${ecosystem})`,
  modified: "2099-02-01T00:00:00Z",
  affected: [{ package: { name, ecosystem }, versions }],
});

export type ZipServer = {
  /** The base URL: `scan.osvDbUrl`, so `<url>/PyPI/all.zip` is what it serves. */
  url: string;
  /** Paths requested, in order (with their Authorization header, if any). */
  requests: { path: string; authorization: string | undefined }[];
  /** Replace what is served for an ecosystem (or a status code to fail with). */
  serve(ecosystem: string, body: Buffer | number): void;
  close(): Promise<void>;
};

export const startZipServer = async (initial: Record<string, Buffer> = {}): Promise<ZipServer> => {
  const bodies = new Map<string, Buffer | number>(Object.entries(initial));
  const requests: ZipServer["requests"] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    requests.push({ path, authorization: req.headers.authorization });
    const ecosystem = /^\/([^/]+)\/all\.zip$/.exec(path)?.[1];
    const body = ecosystem === undefined ? undefined : bodies.get(decodeURIComponent(ecosystem));
    if (body === undefined) {
      res.writeHead(404).end();
    } else if (typeof body === "number") {
      res.writeHead(body).end();
    } else {
      res.writeHead(200, { "content-type": "application/zip", "content-length": body.length }).end(body);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    serve: (ecosystem, body) => bodies.set(ecosystem, body),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
