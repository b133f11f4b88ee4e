import { LRUCache } from "lru-cache";

/**
 * PEP 440 parsing dominates a decision (tens of µs per specifier), while the same few hundred ranges recur
 * across requests. For pure functions of one string only: results are kept (bounded); a throw is not cached.
 */
export const memo = <T extends {}>(fn: (key: string) => T, max = 4_096): ((key: string) => T) => {
  const cache = new LRUCache<string, T>({ max });
  return (key) => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const value = fn(key);
    cache.set(key, value);
    return value;
  };
};
