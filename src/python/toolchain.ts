import { join } from "node:path";
import type { PackageGuardConfig } from "../config.js";
import { PackageGuardError } from "../errors.js";
import type { Tools } from "./types.js";

/** The installer actually used, with the interpreter new venvs are made from. */
export type Toolchain = { kind: "uv"; uv: string; basePython: string } | { kind: "pip"; basePython: string };

const missing = (what: string, key: string, configured: string): never => {
  throw new PackageGuardError(
    "INSTALL_FAILED",
    `${what} was not found ('${configured}'): install it or set plugins.entries.package-guard.config.python.${key} ` +
      `to its absolute path`,
    { details: { reason: "tool-missing", tool: key } },
  );
};

/** installer "auto" means uv when it is there, pip otherwise; "uv" and "pip" are never silently swapped. */
export const chooseToolchain = (config: PackageGuardConfig, tools: Tools): Toolchain => {
  const python = tools.python ?? missing("Python", "python", config.python.python);
  if (config.python.installer === "pip") return { kind: "pip", basePython: python.path };
  if (tools.uv) return { kind: "uv", uv: tools.uv.path, basePython: python.path };
  if (config.python.installer === "uv") return missing("uv", "uv", config.python.uv);
  return { kind: "pip", basePython: python.path };
};

/**
 * Flags every uv pip command shares. SECURITY: --no-config ignores uv.toml/pyproject.toml in any directory,
 * and the only index is the configured one (first-index: a name is never looked up on a second source).
 */
export const uvSourceArgs = (config: PackageGuardConfig, venvPython: string): string[] => [
  "--no-config",
  "--python",
  venvPython,
  "--no-python-downloads",
  "--default-index",
  config.index.url,
  "--index-strategy",
  "first-index",
  ...config.index.findLinks.flatMap((dir) => ["--find-links", dir]),
  ...(config.index.onlyBinary ? ["--only-binary", ":all:"] : []),
  "--cache-dir",
  join(config.python.cacheDir, "uv"),
  "--color",
  "never",
  "--no-progress",
];

/**
 * pip's counterpart. SECURITY: --isolated ignores PIP_* variables and the user's pip.conf; the global and the venv's
 * own pip.conf are still read unless PIP_CONFIG_FILE is /dev/null, which childEnv() always sets.
 */
export const PIP = ["-m", "pip", "--isolated", "--disable-pip-version-check", "--no-input"] as const;

export const pipSourceArgs = (config: PackageGuardConfig): string[] => [
  "--index-url",
  config.index.url,
  ...config.index.findLinks.flatMap((dir) => ["--find-links", dir]),
  ...(config.index.onlyBinary ? ["--only-binary", ":all:"] : []),
  "--cache-dir",
  join(config.python.cacheDir, "pip"),
];
