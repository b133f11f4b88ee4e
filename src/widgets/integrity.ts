import { createHash, timingSafeEqual } from "node:crypto";

/** The SRI value for a file: what the browser compares the CDN's bytes with. */
export const sha384Integrity = (data: Uint8Array): string =>
  `sha384-${createHash("sha384").update(data).digest("base64")}`;

/**
 * Whether `data` matches an npm `dist.integrity` (SRI syntax, possibly several space-separated hashes). Only sha512
 * counts: a registry that offers nothing stronger than sha1 cannot vouch for the bytes.
 */
export const matchesSha512 = (data: Uint8Array, integrity: string): boolean => {
  const wanted = integrity
    .trim()
    .split(/\s+/)
    .filter((h) => h.startsWith("sha512-"))
    .map((h) => Buffer.from(h.slice("sha512-".length).split("?")[0] ?? "", "base64"));
  if (wanted.length === 0) return false;
  const actual = createHash("sha512").update(data).digest();
  return wanted.some((w) => w.length === actual.length && timingSafeEqual(w, actual));
};

export const hasSha512 = (integrity: unknown): integrity is string =>
  typeof integrity === "string" && /(?:^|\s)sha512-[A-Za-z0-9+/]+={0,2}/.test(integrity);
