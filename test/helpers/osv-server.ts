/**
 * A loopback stand-in for the OSV API (api.osv.dev), so tests never reach the internet.
 * pip-audit 2.10 `-s osv --osv-url <url>` POSTs `{package: {name, ecosystem: "PyPI"}, version}` to <url>
 * itself, once per dependency; pass `server.url` (which ends in /v1/query) as --osv-url / scan.osvUrl.
 * `/v1/querybatch` and `GET /v1/vulns/<id>` are answered too, as osv.dev does, for other clients.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import semver from "semver";

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

/*
 * The server decides matches with its own small rules, not the product's matcher: an oracle that shares the code
 * under test cannot catch that code's mistakes. It understands what test records use: PyPI names (PEP 503
 * folding), `versions` lists, ECOSYSTEM ranges over dotted numeric versions with an optional a/b/rc pre-release
 * (GIT ranges name commits, not versions, and are skipped as osv.dev does for a version query), `withdrawn`; and
 * npm names (exact) with SEMVER ranges in node-semver's order. Any other version form throws, so a test that needs
 * more says so instead of silently matching nothing.
 */
const pep503 = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, "-");

// A final release sorts after its pre-releases: a < b < rc < final.
const PRE_RANK: Record<string, number> = { a: 0, b: 1, rc: 2 };
const FINAL = 3;

const parts = (version: string): { release: number[]; pre: [number, number] } => {
  const m = /^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?$/.exec(version);
  if (!m)
    throw new Error(`osv-server compares N.N.N[a|b|rcN] versions only; got '${version}' (extend the test oracle)`);
  return { release: m[1]!.split(".").map(Number), pre: m[2] ? [PRE_RANK[m[2]]!, Number(m[3])] : [FINAL, 0] };
};

const compare = (a: string, b: string): number => {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.release.length, y.release.length); i++) {
    const d = (x.release[i] ?? 0) - (y.release[i] ?? 0);
    if (d !== 0) return d;
  }
  return x.pre[0] - y.pre[0] || x.pre[1] - y.pre[1];
};

const compareNpm = (a: string, b: string): number => {
  if (!semver.valid(a) || !semver.valid(b)) throw new Error(`osv-server: '${a}' or '${b}' is not semver`);
  return semver.compare(a, b);
};

const inRange = (
  events: Record<string, string>[],
  version: string,
  compare: (a: string, b: string) => number,
): boolean => {
  let introduced: string | null = null;
  for (const event of events) {
    if (event.introduced !== undefined) introduced = event.introduced;
    const after = introduced !== null && (introduced === "0" || compare(version, introduced) >= 0);
    if (event.fixed !== undefined) {
      if (after && compare(version, event.fixed) < 0) return true;
      introduced = null;
    } else if (event.last_affected !== undefined) {
      if (after && compare(version, event.last_affected) <= 0) return true;
      introduced = null;
    }
  }
  return introduced !== null && (introduced === "0" || compare(version, introduced) >= 0);
};

const matching = (records: OsvRecord[], query: OsvQuery): OsvRecord[] => {
  const ecosystem = query.package?.ecosystem;
  if ((ecosystem !== "PyPI" && ecosystem !== "npm") || typeof query.version !== "string") return [];
  const npm = ecosystem === "npm";
  const key = (n: string): string => (npm ? n : pep503(n));
  const name = key(query.package.name);
  return records.filter(
    (r) =>
      r.withdrawn === undefined &&
      (r.affected ?? []).some(
        (a) =>
          a.package.ecosystem === ecosystem &&
          key(a.package.name) === name &&
          ((a.versions ?? []).includes(query.version) ||
            (a.ranges ?? []).some((range) => {
              if (range.type === "GIT") return false;
              if (range.type !== (npm ? "SEMVER" : "ECOSYSTEM"))
                throw new Error(`osv-server: range type ${range.type} not modelled for ${ecosystem}`);
              return inRange(range.events, query.version, npm ? compareNpm : compare);
            })),
      ),
  );
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
