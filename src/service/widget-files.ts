import { LRUCache } from "lru-cache";
import { PackageGuardError } from "../errors.js";
import { hasSha512, matchesSha512 } from "../widgets/integrity.js";
import { readTarball, type PackageContents } from "../widgets/tarball.js";

/** The files of one exact npm release, read from the registry's tarball and checked against its integrity. */
export interface PackageFiles {
  contents(name: string, version: string, signal?: AbortSignal): Promise<PackageContents>;
}

export type RegistryFilesOptions = {
  /** The one registry packuments and tarballs come from. */
  registry: string;
  timeoutMs: number;
  maxTarballBytes: number;
  /** Unpacked bytes kept in memory across widgets (default 128 MiB). */
  cacheBytes?: number;
  fetch?: typeof fetch;
};

const MAX_PACKUMENT_BYTES = 64 * 1024 * 1024;

const failed = (message: string, details: Record<string, unknown> = {}): PackageGuardError =>
  new PackageGuardError("INSTALL_FAILED", message, { details });

/** The body, refused past `max` bytes without reading further. */
const readLimited = async (response: Response, max: number, what: string): Promise<Buffer> => {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > max) throw failed(`${what} is larger than ${max} bytes`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      throw failed(`${what} is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
};

/**
 * Registry access for the widget gate: the packument names the tarball and its sha512, the tarball must match it
 * byte for byte and come from the same registry, and its files are read in memory. Results are cached by
 * name@version (a published version never changes); a failure is not cached.
 */
export class RegistryPackageFiles implements PackageFiles {
  private readonly base: URL;
  private readonly fetch: typeof fetch;
  private readonly cache: LRUCache<string, Promise<PackageContents>>;

  constructor(private readonly options: RegistryFilesOptions) {
    this.base = new URL(options.registry.endsWith("/") ? options.registry : `${options.registry}/`);
    this.fetch = options.fetch ?? fetch;
    this.cache = new LRUCache<string, Promise<PackageContents>>({
      maxSize: options.cacheBytes ?? 128 * 1024 * 1024,
      // A pending entry is charged a nominal size; settled ones are re-set with their real size below.
      sizeCalculation: () => 1,
    });
  }

  contents(name: string, version: string, signal?: AbortSignal): Promise<PackageContents> {
    const key = `${name}@${version}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const pending = this.load(name, version, signal);
    this.cache.set(key, pending);
    pending.then(
      (c) => {
        if (this.cache.get(key) === pending) this.cache.set(key, pending, { size: Math.max(1, c.bytes) });
      },
      () => {
        if (this.cache.get(key) === pending) this.cache.delete(key);
      },
    );
    return pending;
  }

  private async get(url: URL, accept: string, signal: AbortSignal | undefined): Promise<Response> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const shown = `${url.origin}${url.pathname}`;
    let response: Response;
    try {
      response = await this.fetch(url, {
        headers: { accept },
        redirect: "error",
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw failed(`The npm registry could not be reached for ${shown} (${why})`);
    }
    if (response.status === 404) throw new PackageGuardError("NOT_FOUND", `${shown} is not on the npm registry`);
    if (!response.ok) throw failed(`The npm registry answered ${response.status} for ${shown}`);
    return response;
  }

  private async load(name: string, version: string, signal?: AbortSignal): Promise<PackageContents> {
    const packumentUrl = new URL(name.replace("/", "%2f"), this.base);
    const accept = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8";
    const raw = await readLimited(await this.get(packumentUrl, accept, signal), MAX_PACKUMENT_BYTES, "the packument");
    let dist: { tarball?: unknown; integrity?: unknown } | undefined;
    try {
      const doc = JSON.parse(raw.toString("utf8")) as { versions?: Record<string, { dist?: typeof dist }> };
      dist = doc.versions && Object.hasOwn(doc.versions, version) ? doc.versions[version]?.dist : undefined;
    } catch {
      throw failed(`The npm registry's packument for ${name} is not JSON`);
    }
    if (!dist) throw new PackageGuardError("NOT_FOUND", `${name}@${version} is not published on the npm registry`);
    // SECURITY: without a sha512 from the registry nothing vouches for the tarball's bytes.
    if (!hasSha512(dist.integrity)) throw failed(`${name}@${version} has no sha512 integrity on the registry`);
    let tarballUrl: URL;
    try {
      tarballUrl = new URL(String(dist.tarball));
    } catch {
      throw failed(`${name}@${version} names no valid tarball URL`);
    }
    // SECURITY: the tarball comes from the configured registry only; the gateway fetches nothing else.
    if (tarballUrl.origin !== this.base.origin || tarballUrl.username || tarballUrl.password)
      throw failed(`${name}@${version}'s tarball is not on the configured registry (${tarballUrl.origin})`);
    const tgz = await readLimited(
      await this.get(tarballUrl, "application/octet-stream", signal),
      this.options.maxTarballBytes,
      `the tarball of ${name}@${version}`,
    );
    if (!matchesSha512(tgz, dist.integrity))
      throw failed(`The tarball of ${name}@${version} does not match the registry's integrity; refusing its files`, {
        package: name,
        version,
      });
    try {
      return readTarball(tgz, this.options.maxTarballBytes * 8);
    } catch (error) {
      throw failed(`The tarball of ${name}@${version} cannot be read (${(error as Error).message})`);
    }
  }
}
