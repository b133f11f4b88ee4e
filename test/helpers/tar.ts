import { gzipSync } from "node:zlib";

export type TarEntry = { path: string; content: string | Buffer; mode?: number };

const BLOCK = 512;
// npm pack stamps every entry with this date so the same files give the same bytes; so do we.
const MTIME = Math.floor(Date.UTC(1985, 9, 26, 8, 15) / 1000);

const field = (header: Buffer, offset: number, length: number, value: string): void => {
  header.write(value, offset, Math.min(length, Buffer.byteLength(value)), "utf8");
};

const octal = (value: number, length: number): string => `${value.toString(8).padStart(length - 1, "0")}\0`;

const headerFor = (path: string, size: number, mode: number): Buffer => {
  if (Buffer.byteLength(path) > 100) throw new Error(`tar path longer than 100 bytes: ${path}`);
  const header = Buffer.alloc(BLOCK);
  field(header, 0, 100, path);
  field(header, 100, 8, octal(mode, 8));
  field(header, 108, 8, octal(0, 8));
  field(header, 116, 8, octal(0, 8));
  field(header, 124, 12, octal(size, 12));
  field(header, 136, 12, octal(MTIME, 12));
  header.fill(" ", 148, 156);
  field(header, 156, 1, "0");
  field(header, 257, 6, "ustar\0");
  field(header, 263, 2, "00");
  let sum = 0;
  for (const byte of header) sum += byte;
  field(header, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return header;
};

/** A gzipped ustar archive of regular files, deterministic for the same entries (what `npm pack` writes). */
export const tarGz = (entries: readonly TarEntry[]): Buffer => {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = typeof entry.content === "string" ? Buffer.from(entry.content, "utf8") : entry.content;
    parts.push(headerFor(entry.path, data.length, entry.mode ?? 0o644), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(parts), { level: 9 });
};
