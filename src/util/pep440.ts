import { compare as pep440Compare, valid as pep440Valid } from "@renovatebot/pep440";
import { memo } from "./memo.js";

// PEP 440 parsing is most of a scan; the same versions and bounds recur across scans, so both are memoized.
const validMemo = memo((v: string) => ({ ok: pep440Valid(v) !== null }), 50_000);
const compareMemo = memo((key: string) => {
  const [a = "", b = ""] = key.split("\u0000");
  return { order: pep440Compare(a, b) };
}, 100_000);

/** Whether `v` is a PEP 440 version. */
export const isPep440 = (v: string): boolean => validMemo(v).ok;

/** PEP 440 order of two versions; both must be valid. */
export const compareVersions = (a: string, b: string): number => compareMemo(`${a}\u0000${b}`).order;

/** Equal under PEP 440 (`1.0` is `1.0.0`, `1.0-RC1` is `1.0rc1`), or the same text when either is not PEP 440. */
export const sameVersion = (a: string, b: string): boolean =>
  a === b || (isPep440(a) && isPep440(b) && compareVersions(a, b) === 0);
