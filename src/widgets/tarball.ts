import { gunzipSync } from "node:zlib";

/** The files of an npm tarball by their path inside the package (the first path component removed, as npm does). */
export type PackageContents = {
  files: Map<string, Buffer>;
  /** Paths that occur more than once, or as a link: which bytes a CDN serves for them is not ours to guess. */
  ambiguous: Set<string>;
  bytes: number;
};

const BLOCK = 512;

const text = (header: Buffer, start: number, length: number): string => {
  const field = header.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString("utf8");
};

const octal = (header: Buffer, start: number, length: number): number => {
  // GNU base-256: the high bit of the first byte set, big-endian binary in the rest.
  if ((header[start]! & 0x80) !== 0) {
    let n = 0;
    for (let i = start + 1; i < start + length; i++) n = n * 256 + header[i]!;
    return n;
  }
  const digits = text(header, start, length).trim();
  if (!/^[0-7]*$/.test(digits)) throw new Error("a tar header has a malformed number");
  return digits === "" ? 0 : Number.parseInt(digits, 8);
};

const checksumOk = (header: Buffer): boolean => {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum === octal(header, 148, 8);
};

/** The `path=` record of a pax extended header (lengths are in bytes, so this reads the buffer, not a string). */
const paxPath = (data: Buffer): string | undefined => {
  let pos = 0;
  let path: string | undefined;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const length = Number.parseInt(data.subarray(pos, space).toString("latin1"), 10);
    if (space === -1 || !Number.isSafeInteger(length) || length <= space - pos || pos + length > data.length)
      throw new Error("a pax header is malformed");
    const record = data.subarray(space + 1, pos + length - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq !== -1 && record.slice(0, eq) === "path") path = record.slice(eq + 1);
    pos += length;
  }
  return path;
};

// npm strips the first component whatever it is called ("package/" by convention, not by rule).
const innerPath = (path: string): string | null => {
  const parts = path
    .replace(/^\.\//, "")
    .split("/")
    .filter((p) => p !== "" && p !== ".");
  if (parts.length < 2 || parts.includes("..")) return null;
  return parts.slice(1).join("/");
};

/**
 * Reads a gzipped npm tarball in memory (ustar, pax `path` records, GNU long names), nothing written to disk.
 * Throws on a corrupt archive; the caller fails closed.
 */
export const readTarball = (gz: Buffer, maxBytes: number): PackageContents => {
  const tar = gunzipSync(gz, { maxOutputLength: maxBytes });
  const contents: PackageContents = { files: new Map(), ambiguous: new Set(), bytes: tar.length };
  let offset = 0;
  let nextPath: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    if (!checksumOk(header)) throw new Error("a tar header checksum does not match");
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156]!);
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length) throw new Error("the tarball ends inside an entry");
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x") {
      nextPath = paxPath(data) ?? nextPath;
      continue;
    }
    if (type === "L") {
      nextPath = text(data, 0, data.length);
      continue;
    }
    if (type === "g") continue;
    const prefix = text(header, 345, 155);
    const name = text(header, 0, 100);
    const path = innerPath(nextPath ?? (prefix ? `${prefix}/${name}` : name));
    nextPath = undefined;
    if (path === null) continue;
    if (type === "0" || type === "\0" || type === "7") {
      if (contents.files.has(path)) contents.ambiguous.add(path);
      contents.files.set(path, data);
    } else if (type === "1" || type === "2") {
      contents.ambiguous.add(path);
    }
  }
  return contents;
};
