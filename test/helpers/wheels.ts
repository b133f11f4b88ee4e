import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { zip } from "./zip.js";

/** A stand-in distribution: enough metadata for uv and pip to resolve, hash-check, install and import it. */
export type WheelSpec = {
  name: string;
  version: string;
  /** PEP 508 strings written as Requires-Dist, e.g. "tinycalc>=1,<2". */
  requires?: string[];
  /** Extra files by path inside the wheel (e.g. "tinycalc/extra.py"). */
  files?: Record<string, string>;
  /** Import name when it differs from the project name (pyyaml -> yaml). */
  module?: string;
  requiresPython?: string;
};

export const normalize = (name: string): string => name.replace(/[-_.]+/g, "-").toLowerCase();
const distName = (name: string): string => normalize(name).replace(/-/g, "_");
export const moduleName = (spec: WheelSpec): string => spec.module ?? distName(spec.name);
export const wheelFilename = (spec: WheelSpec): string => `${distName(spec.name)}-${spec.version}-py3-none-any.whl`;

// RECORD uses urlsafe base64 without padding (PEP 376 / the wheel spec).
const recordHash = (data: Buffer): string => `sha256=${createHash("sha256").update(data).digest("base64url")}`;

const wheelEntries = (spec: WheelSpec): [string, Buffer][] => {
  const distInfo = `${distName(spec.name)}-${spec.version}.dist-info`;
  const mod = moduleName(spec);
  const metadata = [
    "Metadata-Version: 2.1",
    `Name: ${spec.name}`,
    `Version: ${spec.version}`,
    `Summary: Test stand-in for ${spec.name}`,
    ...(spec.requiresPython ? [`Requires-Python: ${spec.requiresPython}`] : []),
    ...(spec.requires ?? []).map((r) => `Requires-Dist: ${r}`),
    "",
    "",
  ].join("\n");
  const files: Record<string, string> = {
    [`${mod}/__init__.py`]: `__version__ = ${JSON.stringify(spec.version)}\n`,
    ...spec.files,
    [`${distInfo}/METADATA`]: metadata,
    [`${distInfo}/WHEEL`]:
      "Wheel-Version: 1.0\nGenerator: package-guard-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n",
  };
  const entries = Object.entries(files).map(([path, text]): [string, Buffer] => [path, Buffer.from(text, "utf8")]);
  const record = [
    ...entries.map(([path, data]) => `${path},${recordHash(data)},${data.length}`),
    `${distInfo}/RECORD,,`,
    "",
  ].join("\n");
  return [...entries, [`${distInfo}/RECORD`, Buffer.from(record, "utf8")]];
};

// DOS date/time for 1980-01-01 00:00: fixed so that a wheel's bytes (and hash) depend on its spec only.
/** The wheel's bytes; deterministic for a given spec. */
export const wheelBytes = (spec: WheelSpec): Buffer => zip(wheelEntries(spec));

/**
 * Writes `<dir>/<filename>` (a valid py3-none-any wheel) and returns its path. Reuses an existing file with
 * the same name: the bytes are a pure function of the spec, and parallel test workers may share `dir`.
 */
export const buildWheel = async (dir: string, spec: WheelSpec): Promise<string> => {
  const path = join(dir, wheelFilename(spec));
  const data = wheelBytes(spec);
  const existing = await readFile(path).catch(() => null);
  if (existing?.equals(data)) return path;
  await mkdir(dir, { recursive: true });
  const temp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temp, data);
  await rename(temp, path);
  return path;
};

export const sha256Hex = (data: Buffer): string => createHash("sha256").update(data).digest("hex");
