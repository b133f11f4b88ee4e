import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { PackageGuardConfig } from "../config.js";
import { PackageGuardError } from "../errors.js";
import { cooldownFor, cutoffOf, eligibleAt } from "../policy/cooldown.js";
import { normalizeName } from "../policy/names.js";
import { redactUrl } from "../util/redact.js";
import type { IndexFile } from "./simple-api.js";
import type { Pin } from "./types.js";

/** A file of a resolved pin: from the index (url) or from an operator's find-links folder (path). */
export type ReleaseFile = {
  filename: string;
  url?: string;
  path?: string;
  sha256: string;
  uploadTime: string | null;
  size: number | null;
};

/** Key: `name==version`. */
export type ReleaseFiles = Record<string, ReleaseFile[]>;

export type ReleaseCheck = {
  config: PackageGuardConfig;
  /** uv applied the cooldown while resolving and refused undated files; pip did neither. */
  toolchain: "uv" | "pip";
  now: Date;
  projectFiles: (name: string, signal?: AbortSignal) => Promise<IndexFile[]>;
  signal?: AbortSignal;
};

const PARALLEL = 8;
const ARCHIVE = /\.(?:whl|tar\.gz|zip)$/;

const sha256Of = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolve(hash.digest("hex")))
      .on("error", reject);
  });

/** The operator's own wheel with one of these hashes, if a find-links folder holds it. */
const findLocal = async (config: PackageGuardConfig, pin: Pin, hashes: Set<string>): Promise<ReleaseFile | null> => {
  const prefix = normalizeName(pin.name).replace(/-/g, "_");
  for (const dir of config.index.findLinks) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const filename of names) {
      if (!ARCHIVE.test(filename) || !normalizeName(filename).replace(/-/g, "_").startsWith(prefix)) continue;
      const path = join(dir, filename);
      const sha256 = await sha256Of(path).catch(() => null);
      if (sha256 && hashes.has(sha256)) return { filename, path, sha256, uploadTime: null, size: null };
    }
  }
  return null;
};

type Verdict = { files: ReleaseFile[]; yanked?: string; tooNew?: string; undated?: boolean };

const judge = async (check: ReleaseCheck, pin: Pin): Promise<Verdict> => {
  const hashes = new Set(pin.hashes.map((h) => h.replace(/^sha256:/, "").toLowerCase()));
  const listed = await check.projectFiles(pin.name, check.signal);
  const matched = listed.filter((f) => f.sha256 !== null && hashes.has(f.sha256));
  if (matched.length === 0) {
    const local = await findLocal(check.config, pin, hashes);
    if (local) return { files: [local] };
    throw new PackageGuardError(
      "INSTALL_FAILED",
      `The index ${redactUrl(check.config.index.url)} lists no file of ${pin.name} ${pin.version} with the ` +
        `resolved hash, so its release status cannot be checked`,
      { details: { reason: "index-metadata", package: pin.name, version: pin.version } },
    );
  }
  const files = matched.map((f) => ({
    filename: f.filename,
    url: f.url,
    sha256: f.sha256!,
    uploadTime: f.uploadTime,
    size: f.size,
  }));
  const yanked = matched.find((f) => f.yanked !== false);
  if (yanked) return { files, yanked: yanked.yanked || "no reason given" };
  const cooldown = cooldownFor(check.config.index.cooldowns, pin.name);
  if (!cooldown) return { files };
  const cutoff = cutoffOf(cooldown, check.now);
  const dated = matched.filter((f) => f.uploadTime !== null);
  const newest = dated.map((f) => new Date(f.uploadTime!)).toSorted((a, b) => b.getTime() - a.getTime())[0];
  if (newest && newest > cutoff) {
    const until = eligibleAt(cooldown, newest);
    return {
      files,
      tooNew:
        `${pin.name} ${pin.version} was uploaded at ${newest.toISOString()}, after the cooldown's cutoff ` +
        `${cutoff.toISOString()} (index.excludeNewer: ${cooldown.spec})` +
        (until ? `; installable from ${until.toISOString()}` : ""),
    };
  }
  // uv already refused every undated index file under a cooldown, so an undated pin it picked is the operator's own.
  if (dated.length < matched.length && check.toolchain === "pip") return { files, undated: true };
  return { files };
};

const inBatches = async <T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
};

/**
 * Step 4b, between resolving and scanning: every resolved pin is looked up on the index. A yanked release (PEP 592)
 * is refused even when pinned with '==', which is exactly when uv and pip would still take it (YANKED); a release
 * uploaded inside the cooldown is refused (TOO_NEW): uv already leaves those out while resolving, pip cannot, and a
 * pin kept from an earlier install is checked again. Returns the pins' files, for the install record.
 */
export const checkReleases = async (check: ReleaseCheck, pins: readonly Pin[]): Promise<ReleaseFiles> => {
  const verdicts = await inBatches(pins, PARALLEL, async (pin) => ({ pin, ...(await judge(check, pin)) }));
  const yanked = verdicts.filter((v) => v.yanked !== undefined);
  if (yanked.length > 0) {
    throw new PackageGuardError(
      "YANKED",
      `The resolved set includes ${yanked
        .map((v) => `${v.pin.name} ${v.pin.version}, yanked from the index (reason: ${JSON.stringify(v.yanked)})`)
        .join("; ")}. A yanked release is never installed, even when pinned with '==': request another version.`,
      {
        details: {
          package: yanked[0]!.pin.name,
          yanked: yanked.map((v) => ({ package: v.pin.name, version: v.pin.version, reason: v.yanked })),
        },
      },
    );
  }
  const tooNew = verdicts.filter((v) => v.tooNew !== undefined || v.undated);
  if (tooNew.length > 0) {
    const why = tooNew.map((v) =>
      v.tooNew !== undefined
        ? v.tooNew
        : `${v.pin.name} ${v.pin.version} has no upload time on the index (PEP 700), so the cooldown cannot date it`,
    );
    throw new PackageGuardError(
      "TOO_NEW",
      `${why.join("; ")}. Releases inside the cooldown are not installed yet: request an older version, retry later, ` +
        `or ask an operator for an exception (index.excludeNewerPackages).`,
      {
        details: {
          package: tooNew[0]!.pin.name,
          releases: tooNew.map((v) => ({ package: v.pin.name, version: v.pin.version })),
        },
      },
    );
  }
  return Object.fromEntries(verdicts.map((v) => [`${v.pin.name}==${v.pin.version}`, v.files]));
};
