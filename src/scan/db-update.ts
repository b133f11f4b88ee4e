import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isPackageGuardError, PackageGuardError } from "../errors.js";
import { withFileLock } from "../util/file-lock.js";
import { redactUrl } from "../util/redact.js";
import { rulesFor } from "./ecosystems.js";
import { newGeneration, readCurrent, writeGeneration, type DbManifest } from "./managed-db.js";
import { toAdvisory, type OsvAdvisory } from "./osv-advisory.js";
import { DEFAULT_ZIP_LIMITS, readOsvZip, type ZipLimits } from "./osv-zip.js";
import { isMalware, type Ecosystem } from "./types.js";

export type UpdateRequest = {
  /** The managed database's directory (config scan.advisoryDbDir). */
  root: string;
  ecosystem: Ecosystem;
  /** A URL or a zip file; default `<mirror>/<ecosystem>/all.zip`. */
  from?: string | undefined;
  /** Base URL of OSV's bucket or a mirror of it (config scan.osvDbUrl). */
  mirror: string;
  timeoutMs: number;
  /** Accept a database much smaller than the current one (a truncated mirror is refused otherwise). */
  force?: boolean;
  now?: () => Date;
  fetch?: typeof fetch;
  limits?: ZipLimits;
  maxDownloadBytes?: number;
};

export type UpdateReport = {
  ecosystem: Ecosystem;
  source: string;
  fetchedAt: string;
  generation: string;
  records: number;
  packages: number;
  malware: number;
  newest: string | null;
  sha256: string;
  /** Records in the zip that name no package of this ecosystem (left out). */
  foreign: number;
  previous: { generation: string; records: number; fetchedAt: string } | null;
};

// Below this share of records naming the ecosystem, the zip is another ecosystem's (or a mix), not this one's.
const MIN_OWN_SHARE = 0.9;
// A database that shrinks below half of the current one is a truncated or tampered mirror until an operator says not.
const MIN_KEPT_SHARE = 0.5;
const MAX_SUMMARY = 300;
const DEFAULT_MAX_DOWNLOAD = 1024 * 1024 * 1024;

const failed = (message: string, cause?: unknown): PackageGuardError =>
  new PackageGuardError(
    "SCANNER_UNAVAILABLE",
    `The advisory update failed: ${message} The current database is unchanged.`,
    cause === undefined ? {} : { cause },
  );

export const defaultZipUrl = (mirror: string, ecosystem: Ecosystem): string =>
  `${mirror.replace(/\/+$/, "")}/${encodeURIComponent(ecosystem)}/all.zip`;

const isUrl = (from: string): boolean => /^https?:\/\//i.test(from);

// fetch() refuses URLs with credentials; a mirror's user:password goes into the Authorization header instead.
const withAuth = (url: string): { url: string; headers: Record<string, string> } => {
  const u = new URL(url);
  if (!u.username && !u.password) return { url, headers: {} };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64");
  u.username = "";
  u.password = "";
  return { url: u.toString(), headers: { authorization: `Basic ${basic}` } };
};

const download = async (
  url: string,
  target: string,
  o: { timeoutMs: number; maxBytes: number; fetch: typeof fetch },
): Promise<string> => {
  const shown = redactUrl(url);
  const { url: bare, headers } = withAuth(url);
  let response: Response;
  try {
    response = await o.fetch(bare, { headers, signal: AbortSignal.timeout(o.timeoutMs), redirect: "follow" });
  } catch (error) {
    throw failed(`${shown} could not be fetched (${(error as Error).message}).`, error);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw failed(`${shown} answered HTTP ${response.status}.`);
  }
  const hash = createHash("sha256");
  let size = 0;
  const counted = Readable.fromWeb(response.body as never).map((chunk: Buffer) => {
    size += chunk.length;
    if (size > o.maxBytes) throw new Error(`the download exceeds ${o.maxBytes} bytes`);
    hash.update(chunk);
    return chunk;
  });
  try {
    await pipeline(counted, createWriteStream(target, { mode: 0o600 }));
  } catch (error) {
    throw failed(`${shown} could not be downloaded (${(error as Error).message}).`, error);
  }
  return hash.digest("hex");
};

const hashFile = async (path: string): Promise<string> => {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
};

const summaryLine = (a: OsvAdvisory): string | undefined => {
  const text = (a.summary ?? a.details ?? "").trim().split("\n")[0]?.trim() ?? "";
  return text ? (text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY - 1)}…` : text) : undefined;
};

// Only what matching and reporting read, and only this ecosystem's entries: the database stays small.
const slim = (a: OsvAdvisory, ecosystem: Ecosystem): OsvAdvisory => {
  const out: OsvAdvisory = {
    id: a.id,
    aliases: a.aliases ?? [],
    affected: a.affected.filter((e) => e.package.ecosystem === ecosystem),
  };
  const summary = summaryLine(a);
  if (summary !== undefined) out.summary = summary;
  if (a.withdrawn !== undefined) out.withdrawn = a.withdrawn;
  if (a.modified !== undefined) out.modified = a.modified;
  return out;
};

/**
 * `advisories update`: fetches an OSV ecosystem zip (or reads one), checks it (a zip of OSV JSON records, of this
 * ecosystem, not suspiciously smaller than the current database), and swaps it in atomically. SECURITY: any doubt
 * leaves the current database in place; the source is recorded without credentials.
 */
export const updateAdvisoryDb = async (request: UpdateRequest): Promise<UpdateReport> => {
  const now = request.now ?? (() => new Date());
  const { root, ecosystem } = request;
  const from = request.from ?? defaultZipUrl(request.mirror, ecosystem);
  const downloads = join(root, ".downloads");
  await mkdir(downloads, { recursive: true, mode: 0o700 });
  const temp = join(downloads, `${randomBytes(6).toString("hex")}.zip`);
  try {
    let zipFile: string;
    let sha256: string;
    let source: string;
    if (isUrl(from)) {
      source = redactUrl(from);
      sha256 = await download(from, temp, {
        timeoutMs: request.timeoutMs,
        maxBytes: request.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD,
        fetch: request.fetch ?? fetch,
      });
      zipFile = temp;
    } else {
      zipFile = resolve(from.replace(/^file:\/\//, ""));
      source = zipFile;
      const info = await stat(zipFile).catch(() => undefined);
      if (!info?.isFile())
        throw new PackageGuardError("CONFIG_INVALID", `--from ${zipFile} is neither an http(s) URL nor a zip file.`);
      sha256 = await hashFile(zipFile);
    }
    const normalize = rulesFor(ecosystem)?.normalizeName ?? ((n: string) => n);
    const byPackage = new Map<string, OsvAdvisory[]>();
    let records = 0;
    let foreign = 0;
    let malware = 0;
    let newest: string | null = null;
    try {
      for await (const { name, record } of readOsvZip(zipFile, source, request.limits ?? DEFAULT_ZIP_LIMITS)) {
        const advisory = toAdvisory(record);
        if (!advisory) throw failed(`${source}: ${name} is not an OSV record (no id).`);
        const own = slim(advisory, ecosystem);
        if (own.affected.length === 0) {
          foreign += 1;
          continue;
        }
        records += 1;
        if (isMalware({ id: own.id, aliases: own.aliases ?? [] })) malware += 1;
        if (own.modified && Number.isFinite(Date.parse(own.modified)) && (newest === null || own.modified > newest))
          newest = own.modified;
        for (const pkg of new Set(own.affected.map((e) => normalize(e.package.name)))) {
          const list = byPackage.get(pkg);
          if (list) list.push(own);
          else byPackage.set(pkg, [own]);
        }
      }
    } catch (error) {
      if (isPackageGuardError(error) && error.details?.reason === "advisory-zip-invalid")
        throw failed(error.message, error);
      throw error;
    }
    const total = records + foreign;
    if (records === 0) throw failed(`${source} holds no ${ecosystem} advisories (${total} records in all).`);
    if (records < total * MIN_OWN_SHARE)
      throw failed(
        `${source} is not a ${ecosystem} advisory zip: ${foreign} of its ${total} records name no ${ecosystem} ` +
          `package.`,
      );
    return await withFileLock(
      join(root, ecosystem, "update"),
      { what: `The ${ecosystem} advisory database`, timeoutMs: 10_000 },
      async () => {
        const previous = await readCurrent(root, ecosystem).catch(() => null);
        if (previous && records < previous.records * MIN_KEPT_SHARE && !request.force)
          throw failed(
            `${source} holds ${records} ${ecosystem} advisories, fewer than half of the current ${previous.records} ` +
              `(a truncated or tampered mirror?). Check the source; pass --force to accept it anyway.`,
          );
        const fetchedAt = now();
        const manifest: DbManifest = {
          format: 1,
          ecosystem,
          generation: newGeneration(fetchedAt),
          source,
          fetchedAt: fetchedAt.toISOString(),
          sha256,
          records,
          packages: byPackage.size,
          malware,
          newest,
        };
        await writeGeneration(root, manifest, byPackage);
        return {
          ecosystem,
          source,
          fetchedAt: manifest.fetchedAt,
          generation: manifest.generation,
          records,
          packages: byPackage.size,
          malware,
          newest,
          sha256,
          foreign,
          previous: previous
            ? { generation: previous.generation, records: previous.records, fetchedAt: previous.fetchedAt }
            : null,
        };
      },
    );
  } finally {
    await rm(temp, { force: true });
  }
};
