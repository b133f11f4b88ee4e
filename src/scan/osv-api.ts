import { PackageGuardError } from "../errors.js";
import { isRecord } from "../util/is-record.js";
import { redactUrl } from "../util/redact.js";
import { toAdvisory, type OsvAdvisory } from "./osv-advisory.js";
import { toFinding } from "./osv-match.js";
import { checkedPins } from "./pins.js";
import {
  pinKey,
  pinLabel,
  type AdvisorySourceInfo,
  type Finding,
  type ScanPin,
  type Scanner,
  type ScannerHealth,
} from "./types.js";

export type OsvApiOptions = {
  /** The API root, e.g. `https://api.osv.dev` (POST <base>/v1/querybatch, GET <base>/v1/vulns/<id>). */
  baseUrl: string;
  timeoutMs: number;
  fetch?: typeof fetch;
};

// osv.dev: at most 1,000 queries per batch; more than 1,000 advisories for one query come in pages.
const BATCH = 1000;
const MAX_PAGES = 10;
const CONCURRENT_RECORDS = 8;
// osv.dev caps a response at 32 MiB on HTTP/1.1; anything larger is not an answer from it.
const MAX_BODY_BYTES = 32 * 1024 * 1024;

const unavailable = (message: string, cause?: unknown): PackageGuardError =>
  new PackageGuardError("SCANNER_UNAVAILABLE", message, cause === undefined ? {} : { cause });

// Error text from the network layer may quote a URL; only its redacted form may reach a message.
const scrub = (text: string): string => text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s)'"]+/gi, redactUrl).slice(0, 300);

// lodash 4.17.11 has known advisories in every OSV mirror (GHSA-jf85-cpcp-j695, CVE-2019-10744): a service that calls
// it clean is empty, or not an OSV service at all.
export const OSV_API_PROBE_PIN: ScanPin = { ecosystem: "npm", name: "lodash", version: "4.17.11" };

type Query = { package: { name: string; ecosystem: string }; version: string; page_token?: string };

/**
 * The OSV API backend (osv.dev, or a mirror at scan.osvApiUrl; npm trees use it unless scan.scanner is osv-db): one
 * POST /v1/querybatch for the pins, then
 * the full record of each advisory id it names (GET /v1/vulns/<id>) for aliases, fixed versions and summaries. The
 * service decides what affects a version; a `MAL-` record comes back like any other. SECURITY: any failure, partial
 * answer or malformed record is SCANNER_UNAVAILABLE: a pin is never called clean unless the API said so.
 */
export class OsvApiScanner implements Scanner {
  readonly id: string;
  private readonly base: string;
  private readonly fetch: typeof fetch;

  private readonly auth: Record<string, string>;
  /** The base as messages and ids show it: no credentials, secret query values masked. */
  private readonly shown: string;

  constructor(private readonly options: OsvApiOptions) {
    // A mirror's user:password becomes a Basic header: fetch refuses credentials in a URL, and they must not be shown.
    const url = new URL(options.baseUrl);
    const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    this.auth = url.username || url.password ? { Authorization: `Basic ${Buffer.from(user).toString("base64")}` } : {};
    url.username = "";
    url.password = "";
    url.search = "";
    url.hash = "";
    this.base = url.toString().replace(/\/+$/, "");
    this.fetch = options.fetch ?? fetch;
    this.shown = redactUrl(this.base).replace(/\/$/, "");
    this.id = `osv-api(${this.shown})`;
  }

  // A live service has no data version: its answers age out of the scan cache by scan.cacheTtlHours.
  async source(): Promise<AdvisorySourceInfo> {
    return { id: this.id, version: "live" };
  }

  /** Never throws: a service that cannot be asked, or knows nothing about a known-vulnerable pin, is not ok. */
  async probe(signal?: AbortSignal): Promise<ScannerHealth> {
    const base = { backend: "osv-api", source: this.shown, version: "live" };
    try {
      const [ids] = await this.queryBatch([OSV_API_PROBE_PIN], signal);
      if (ids!.length > 0) return { ok: true, ...base, advisories: ids!.length };
      return {
        ok: false,
        ...base,
        problem: `The OSV API at ${this.shown} knows no advisory for ${pinLabel(OSV_API_PROBE_PIN)}`,
        fix: "Point scan.osvApiUrl at osv.dev (https://api.osv.dev) or a complete mirror of it",
      };
    } catch (error) {
      const problem = error instanceof Error ? error.message : String(error);
      return { ok: false, ...base, problem, fix: "Check that scan.osvApiUrl is reachable from the gateway" };
    }
  }

  async scan(pins: ScanPin[], signal?: AbortSignal): Promise<Map<string, Finding[]>> {
    const asked = checkedPins(pins);
    const ids = new Map<string, string[]>();
    for (let i = 0; i < asked.length; i += BATCH) {
      const batch = asked.slice(i, i + BATCH);
      const found = await this.queryBatch(batch, signal);
      batch.forEach((pin, j) => ids.set(pinKey(pin), found[j]!));
    }
    const records = await this.records([...new Set([...ids.values()].flat())], signal);
    const out = new Map<string, Finding[]>();
    for (const pin of asked) {
      const findings = ids.get(pinKey(pin))!.map((id) => toFinding(records.get(id)!, pin));
      out.set(
        pinKey(pin),
        findings.toSorted((a, b) => a.id.localeCompare(b.id, "en", { numeric: true })),
      );
    }
    return out;
  }

  /** The advisory ids the API names for each pin, in order; every page of every query. */
  private async queryBatch(pins: readonly ScanPin[], signal?: AbortSignal): Promise<string[][]> {
    const queries: Query[] = pins.map((p) => ({
      package: { name: p.name, ecosystem: p.ecosystem },
      version: p.version,
    }));
    const body = await this.request("POST", "/v1/querybatch", { queries }, signal);
    const results = isRecord(body) && Array.isArray(body.results) ? body.results : undefined;
    if (!results || results.length !== queries.length) {
      throw unavailable(
        `The OSV API at ${this.shown} answered ${queries.length} queries with ` +
          `${results?.length ?? "no"} results; the install is blocked until it can scan.`,
      );
    }
    return Promise.all(
      results.map(async (result: unknown, i) => {
        const pin = pins[i]!;
        const ids = vulnIds(result, pin);
        let token = nextPage(result);
        for (let page = 1; token !== ""; page++) {
          if (page > MAX_PAGES) throw unavailable(`The OSV API names too many advisories for ${pinLabel(pin)}.`);
          const next = await this.request("POST", "/v1/query", { ...queries[i]!, page_token: token }, signal);
          ids.push(...vulnIds(next, pin));
          token = nextPage(next);
        }
        return Array.from(new Set(ids));
      }),
    );
  }

  private async records(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, OsvAdvisory>> {
    const out = new Map<string, OsvAdvisory>();
    const queue = [...ids];
    const worker = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const raw = await this.request("GET", `/v1/vulns/${encodeURIComponent(id)}`, undefined, signal);
        const advisory = toAdvisory(raw);
        if (advisory === undefined || advisory.id !== id)
          throw unavailable(`The OSV API at ${this.shown} sent no usable record for ${id.slice(0, 80)}.`);
        out.set(id, advisory);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_RECORDS, ids.length) }, worker));
    return out;
  }

  private async request(method: "GET" | "POST", path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const where = `${this.shown}${path.startsWith("/v1/vulns/") ? "/v1/vulns/…" : path}`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let response: Response;
    try {
      response = await this.fetch(`${this.base}${path}`, {
        method,
        headers: {
          Accept: "application/json",
          ...this.auth,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: "error",
      });
    } catch (error) {
      const why = timeout.aborted ? `no answer within ${this.options.timeoutMs} ms` : scrub((error as Error).message);
      throw unavailable(
        `The OSV API ${where} could not be asked (${why}); the install is blocked until it can.`,
        error,
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw unavailable(
        `The OSV API ${where} answered HTTP ${response.status}; the install is blocked until it scans.`,
      );
    }
    const text = await readCapped(response).catch((error: unknown) => {
      throw unavailable(`The OSV API ${where} sent an unreadable answer (${(error as Error).message}).`, error);
    });
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw unavailable(`The OSV API ${where} answered with something that is not JSON.`);
    }
  }
}

const vulnIds = (result: unknown, pin: ScanPin): string[] => {
  if (!isRecord(result)) throw unavailable(`The OSV API's answer for ${pinLabel(pin)} is malformed.`);
  if (result.vulns === undefined) return [];
  if (!Array.isArray(result.vulns) || !result.vulns.every((v) => isRecord(v) && typeof v.id === "string" && v.id))
    throw unavailable(`The OSV API's answer for ${pinLabel(pin)} lists advisories without ids.`);
  return result.vulns.map((v) => (v as { id: string }).id);
};

const nextPage = (result: unknown): string =>
  isRecord(result) && typeof result.next_page_token === "string" ? result.next_page_token : "";

const readCapped = async (response: Response): Promise<string> => {
  if (Number(response.headers.get("content-length") ?? "0") > MAX_BODY_BYTES)
    throw new Error(`larger than ${MAX_BODY_BYTES} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
};
