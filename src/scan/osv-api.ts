import semver from "semver";
import { PackageGuardError } from "../errors.js";
import { isNpmTreeName } from "../policy/npm-names.js";
import { isRecord } from "../util/is-record.js";
import { toAdvisory, type OsvAdvisory } from "./osv-advisory.js";
import { pinKey, type Finding, type ScanPin, type Scanner } from "./types.js";

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
const MAX_SUMMARY = 300;
const ECOSYSTEM = "npm";

const unavailable = (message: string, cause?: unknown): PackageGuardError =>
  new PackageGuardError("SCANNER_UNAVAILABLE", message, cause === undefined ? {} : { cause });

// The id lands in audit records and the cache file; a mirror's credentials and signed query values must not.
export const redactUrl = (url: string): string => {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(unparsable URL)";
  }
};

const label = (pin: ScanPin): string => `${pin.name}@${pin.version}`;

// Error text from the network layer may quote a URL; only its redacted form may reach a message.
const scrub = (text: string): string => text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s)'"]+/gi, redactUrl).slice(0, 300);

/** SECURITY: only npm names and exact semver versions are put into a query; anything else fails the scan. */
const checked = (pins: readonly ScanPin[]): ScanPin[] => {
  const unique = new Map<string, ScanPin>();
  for (const pin of pins) {
    if (!isNpmTreeName(pin.name) || typeof pin.version !== "string" || semver.valid(pin.version) !== pin.version)
      throw unavailable(`Refusing to scan a malformed npm pin ${JSON.stringify(label(pin)).slice(0, 120)}.`);
    unique.set(pinKey(pin), { name: pin.name, version: pin.version });
  }
  return [...unique.values()];
};

/** The versions that fix an advisory for this package, in semver order (ranges of type SEMVER or ECOSYSTEM). */
const fixedVersions = (advisory: OsvAdvisory, name: string): string[] => {
  const fixed = new Set<string>();
  for (const entry of advisory.affected) {
    if (entry.package.ecosystem !== ECOSYSTEM || entry.package.name !== name) continue;
    for (const range of entry.ranges) {
      if (range.type !== "SEMVER" && range.type !== "ECOSYSTEM") continue;
      for (const event of range.events) if (event.fixed !== undefined) fixed.add(event.fixed);
    }
  }
  return [...fixed].toSorted((a, b) =>
    semver.valid(a) && semver.valid(b) ? semver.compare(a, b) : a.localeCompare(b, "en"),
  );
};

const toFinding = (advisory: OsvAdvisory, pin: ScanPin): Finding => {
  const finding: Finding = {
    id: advisory.id,
    aliases: (advisory.aliases ?? []).filter((a) => a !== advisory.id).toSorted(),
    package: pin.name,
    version: pin.version,
    fixedVersions: fixedVersions(advisory, pin.name),
  };
  const text = (advisory.summary ?? advisory.details ?? "").trim().split("\n")[0]?.trim() ?? "";
  if (text) finding.summary = text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY - 1)}…` : text;
  return finding;
};

type Query = { package: { name: string; ecosystem: string }; version: string; page_token?: string };

/**
 * The OSV API backend for npm (osv.dev, or a mirror at scan.osvApiUrl): one POST /v1/querybatch for the pins, then
 * the full record of each advisory id it names (GET /v1/vulns/<id>) for aliases, fixed versions and summaries. The
 * service decides what affects a version; a `MAL-` record comes back like any other. SECURITY: any failure, partial
 * answer or malformed record is SCANNER_UNAVAILABLE: a pin is never called clean unless the API said so.
 */
export class OsvApiScanner implements Scanner {
  readonly id: string;
  private readonly base: string;
  private readonly fetch: typeof fetch;

  private readonly auth: Record<string, string>;

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
    this.id = `osv-api:${ECOSYSTEM}(${redactUrl(this.base)})`;
  }

  async scan(pins: ScanPin[], signal?: AbortSignal): Promise<Map<string, Finding[]>> {
    const asked = checked(pins);
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
    const queries: Query[] = pins.map((p) => ({ package: { name: p.name, ecosystem: ECOSYSTEM }, version: p.version }));
    const body = await this.request("POST", "/v1/querybatch", { queries }, signal);
    const results = isRecord(body) && Array.isArray(body.results) ? body.results : undefined;
    if (!results || results.length !== queries.length) {
      throw unavailable(
        `The OSV API at ${redactUrl(this.base)} answered ${queries.length} queries with ` +
          `${results?.length ?? "no"} results; the install is blocked until it can scan.`,
      );
    }
    return Promise.all(
      results.map(async (result: unknown, i) => {
        const pin = pins[i]!;
        const ids = vulnIds(result, pin);
        let token = nextPage(result);
        for (let page = 1; token !== ""; page++) {
          if (page > MAX_PAGES) throw unavailable(`The OSV API names too many advisories for ${label(pin)}.`);
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
          throw unavailable(`The OSV API at ${redactUrl(this.base)} sent no usable record for ${id.slice(0, 80)}.`);
        out.set(id, advisory);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_RECORDS, ids.length) }, worker));
    return out;
  }

  private async request(method: "GET" | "POST", path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const where = `${redactUrl(this.base)}${path.startsWith("/v1/vulns/") ? "/v1/vulns/…" : path}`;
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
  if (!isRecord(result)) throw unavailable(`The OSV API's answer for ${label(pin)} is malformed.`);
  if (result.vulns === undefined) return [];
  if (!Array.isArray(result.vulns) || !result.vulns.every((v) => isRecord(v) && typeof v.id === "string" && v.id))
    throw unavailable(`The OSV API's answer for ${label(pin)} lists advisories without ids.`);
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
