import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { PackageGuardError } from "../errors.js";
import { normalizeName } from "../policy/names.js";
import type { Pin } from "./types.js";

type ReportItem = {
  metadata?: { name?: unknown; version?: unknown; requires_dist?: unknown };
  download_info?: { url?: unknown; archive_info?: { hash?: unknown; hashes?: Record<string, unknown> } };
};

const bad = (message: string): never => {
  throw new PackageGuardError("INSTALL_FAILED", `Unreadable pip install report: ${message}`, {
    details: { reason: "resolver-output" },
  });
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VERSION = /^[A-Za-z0-9.!+_-]+$/;
const HEX = /^[0-9a-f]{64}$/;

// Report items for files found through --find-links carry no hash; the file itself is local, so hash it.
const localHash = async (url: string): Promise<string | null> => {
  if (!url.startsWith("file:")) return null;
  const data = await readFile(fileURLToPath(url)).catch(() => null);
  return data ? createHash("sha256").update(data).digest("hex") : null;
};

/** Reads `pip install --dry-run --ignore-installed --report -` JSON into pins (one sha256 per file). */
export const parsePipReport = async (text: string): Promise<Pin[]> => {
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch {
    return bad("not JSON");
  }
  const items = (report as { install?: unknown }).install;
  if (!Array.isArray(items)) return bad("no 'install' list");
  const pins: Pin[] = [];
  for (const item of items as ReportItem[]) {
    const name = item.metadata?.name;
    const version = item.metadata?.version;
    if (typeof name !== "string" || !NAME.test(name) || typeof version !== "string" || !VERSION.test(version))
      return bad("an entry without name/version");
    const info = item.download_info;
    const fromHashes = info?.archive_info?.hashes?.sha256;
    const fromHash =
      typeof info?.archive_info?.hash === "string"
        ? /^sha256=([0-9a-f]{64})$/.exec(info.archive_info.hash)?.[1]
        : undefined;
    const hex =
      (typeof fromHashes === "string" ? fromHashes : fromHash) ??
      (typeof info?.url === "string" ? await localHash(info.url) : null);
    if (typeof hex !== "string" || !HEX.test(hex))
      return bad(`no sha256 for ${name} ${version} (only index archives can be pinned)`);
    pins.push({ name: normalizeName(name), version, hashes: [`sha256:${hex}`] });
  }
  addParents(pins, items as ReportItem[]);
  return pins.toSorted((a, b) => a.name.localeCompare(b.name));
};

// pip's report names no parents; each item's Requires-Dist does (markers ignored: this only feeds messages).
const addParents = (pins: Pin[], items: ReportItem[]): void => {
  const byName = new Map(pins.map((p) => [p.name, p]));
  for (const item of items) {
    const requires = item.metadata?.requires_dist;
    if (!Array.isArray(requires) || typeof item.metadata?.name !== "string") continue;
    const parent = normalizeName(item.metadata.name);
    for (const r of requires) {
      const child = typeof r === "string" ? /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(r)?.[1] : undefined;
      const pin = child === undefined ? undefined : byName.get(normalizeName(child));
      if (pin && pin.name !== parent && !(pin.via ?? []).includes(parent)) pin.via = [...(pin.via ?? []), parent];
    }
  }
};
