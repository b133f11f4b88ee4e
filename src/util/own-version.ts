import { readFileSync } from "node:fs";

let version: string | undefined;

/** This package's version, from its package.json (two folders up from both src/util and dist/util). */
export const ownVersion = (): string => {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
        version?: unknown;
      };
      version = typeof pkg.version === "string" ? pkg.version : "unknown";
    } catch {
      version = "unknown";
    }
  }
  return version;
};
