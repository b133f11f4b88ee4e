import type { TagBinding } from "./types.js";

export type TagRewrite = { binding: TagBinding; url: string; integrity: string | null };

// What HTML allows in an attribute name; anything else could end the tag or start another attribute.
// oxlint-disable-next-line no-control-regex -- control characters are among what a name may not hold
const SAFE_NAME = /^[^\s"'>/=\x00-\x1f\x7f]+$/;
const escapeAttr = (value: string): string => value.replace(/&/g, "&amp;").replace(/"/g, "&quot;");

/**
 * The start tag rebuilt from its parsed attributes: the URL the gate checked, the integrity of the bytes it hashed,
 * and crossorigin="anonymous" (without CORS the browser refuses a tag that has an integrity attribute).
 * Whatever the agent wrote for src/href, integrity and crossorigin is replaced, and a duplicate attribute the
 * browser would ignore is dropped.
 */
export const rebuildTag = ({ binding, url, integrity }: TagRewrite): string => {
  const replaced = new Set([binding.urlAttr, "integrity", "crossorigin"]);
  const kept = binding.attrs.filter((a) => !replaced.has(a.name));
  for (const a of kept) {
    if (!SAFE_NAME.test(a.name)) throw new Error(`attribute name ${JSON.stringify(a.name)} cannot be written back`);
  }
  const attrs = [
    ...kept.map((a) => `${a.name}="${escapeAttr(a.value)}"`),
    `${binding.urlAttr}="${escapeAttr(url)}"`,
    ...(integrity ? [`integrity="${escapeAttr(integrity)}"`, `crossorigin="anonymous"`] : []),
  ];
  return `<${binding.tagName} ${attrs.join(" ")}>`;
};

/** Splices the rebuilt start tags into the code; everything between them stays byte for byte. */
export const applyRewrites = (code: string, rewrites: readonly TagRewrite[]): string => {
  const ordered = [...rewrites].toSorted((a, b) => b.binding.start - a.binding.start);
  let out = code;
  let limit = Number.POSITIVE_INFINITY;
  for (const r of ordered) {
    if (r.binding.end > limit) throw new Error("overlapping tag rewrites");
    out = out.slice(0, r.binding.start) + rebuildTag(r) + out.slice(r.binding.end);
    limit = r.binding.start;
  }
  return out;
};
