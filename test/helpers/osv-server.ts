/**
 * A loopback stand-in for the OSV API (api.osv.dev), so tests never reach the internet.
 * pip-audit 2.10 `-s osv --osv-url <url>` POSTs `{package: {name, ecosystem: "PyPI"}, version}` to <url>
 * itself, once per dependency; pass `server.url` (which ends in /v1/query) as --osv-url / scan.osvUrl.
 * `/v1/querybatch` and `GET /v1/vulns/<id>` are answered too, as osv.dev does, for other clients.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { normalizeName } from "../../src/policy/names.js";
import { toAdvisory } from "../../src/scan/osv-advisory.js";
import { affects } from "../../src/scan/osv-match.js";

/** An OSV record as served (JSON); only the fields tests usually set are spelled out. */
export type OsvRecord = {
  id: string;
  summary?: string;
  details?: string;
  aliases?: string[];
  withdrawn?: string;
  modified?: string;
  affected?: {
    package: { name: string; ecosystem: string };
    ranges?: { type: string; events: Record<string, string>[] }[];
    versions?: string[];
  }[];
  [extra: string]: unknown;
};

export type OsvQuery = { package: { name: string; ecosystem: string }; version: string };

/** Either a fixed list (matched against each query like osv.dev does) or a function that answers a query. */
export type OsvSource = OsvRecord[] | ((query: OsvQuery) => OsvRecord[] | Promise<OsvRecord[]>);

export type OsvServerBehavior = {
  /** Answer every request with this HTTP status (e.g. 500) instead of results. */
  status?: number;
  /** Wait this long before answering each request. */
  delayMs?: number;
};

export type OsvServer = {
  /** The query endpoint, `http://127.0.0.1:<port>/v1/query`: what pip-audit's --osv-url wants. */
  url: string;
  baseUrl: string;
  /** Requests received so far (any path). */
  readonly requests: number;
  /** Every single query received, in order. */
  readonly queries: OsvQuery[];
  /** Changes the failure knobs for later requests. */
  behave(behavior: OsvServerBehavior): void;
  close(): Promise<void>;
};

const matching = (records: OsvRecord[], query: OsvQuery): OsvRecord[] => {
  if (query.package?.ecosystem !== "PyPI" || typeof query.version !== "string") return [];
  const pin = { ecosystem: "PyPI" as const, name: normalizeName(query.package.name), version: query.version };
  return records.filter((r) => {
    const advisory = toAdvisory(r);
    return advisory !== undefined && affects(advisory, pin);
  });
};

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
};

const send = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
};

export const startOsvServer = async (source: OsvSource, behavior: OsvServerBehavior = {}): Promise<OsvServer> => {
  let knobs = { ...behavior };
  let requests = 0;
  const queries: OsvQuery[] = [];
  const answer = async (query: OsvQuery): Promise<OsvRecord[]> => {
    queries.push(query);
    return typeof source === "function" ? source(query) : matching(source, query);
  };

  const server = createServer((req, res) => {
    requests += 1;
    void (async () => {
      if (knobs.delayMs) await new Promise((r) => setTimeout(r, knobs.delayMs));
      if (knobs.status !== undefined)
        return send(res, knobs.status, { code: knobs.status, message: "injected failure" });
      const path = (req.url ?? "").split("?")[0] ?? "";
      if (req.method === "POST" && path === "/v1/query") {
        const vulns = await answer((await readBody(req)) as OsvQuery);
        // osv.dev answers `{}` when nothing matches; pip-audit accepts both forms.
        return send(res, 200, vulns.length ? { vulns } : {});
      }
      if (req.method === "POST" && path === "/v1/querybatch") {
        const body = (await readBody(req)) as { queries?: OsvQuery[] };
        const results = [];
        for (const q of body.queries ?? [])
          results.push({
            vulns: (await answer(q)).map((v) => ({ id: v.id, modified: v.modified ?? "2024-01-01T00:00:00Z" })),
          });
        return send(res, 200, { results });
      }
      const vulnId = /^\/v1\/vulns\/([^/]+)$/.exec(path)?.[1];
      if (req.method === "GET" && vulnId && Array.isArray(source)) {
        const record = source.find((r) => r.id === decodeURIComponent(vulnId));
        return record ? send(res, 200, record) : send(res, 404, { code: 5, message: "Bug not found." });
      }
      send(res, 404, { code: 5, message: "not found" });
    })().catch((error: unknown) => send(res, 400, { code: 3, message: String(error) }));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    url: `${baseUrl}/v1/query`,
    baseUrl,
    get requests() {
      return requests;
    },
    queries,
    behave(next) {
      knobs = { ...next };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
