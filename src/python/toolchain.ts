import { join } from "node:path";
import type { PackageGuardConfig } from "../config.js";
import { PackageGuardError } from "../errors.js";
import type { BaseInterpreter } from "./base-python.js";
import type { Tools } from "./types.js";

/**
 * The installer actually used. SECURITY: every tool runs with the base interpreter (or, for pip, our own tool venv
 * made from it) and reaches a skill's venv only as an install target: nothing in a skill's venv is ever executed.
 */
export type Toolchain =
  | { kind: "uv"; uv: string; basePython: string; base: BaseInterpreter }
  | { kind: "pip"; basePython: string; base: BaseInterpreter; pipPython: string };

const missing = (what: string, key: string, configured: string): never => {
  throw new PackageGuardError(
    "INSTALL_FAILED",
    `${what} was not found ('${configured}'): install it or set plugins.entries.package-guard.config.python.${key} ` +
      `to its absolute path`,
    { details: { reason: "tool-missing", tool: key } },
  );
};

/** installer "auto" means uv when it is there, pip otherwise; "uv" and "pip" are never silently swapped. */
export const chooseInstaller = (config: PackageGuardConfig, tools: Tools): "uv" | "pip" => {
  if (!tools.python) return missing("Python", "python", config.python.python);
  if (config.python.installer === "pip") return "pip";
  if (tools.uv) return "uv";
  if (config.python.installer === "uv") return missing("uv", "uv", config.python.uv);
  return "pip";
};

/** Where package-guard keeps the pip it runs in pip mode: a venv of its own, never a skill's. */
export const pipToolDir = (config: PackageGuardConfig): string => join(config.dataDir, "pip-tool");

/**
 * Flags every uv pip command shares. SECURITY: --no-config ignores uv.toml/pyproject.toml in any directory, the
 * only index is the configured one (first-index: a name is never looked up on a second source), and `--python` is
 * the base interpreter: uv runs the interpreter it is given to learn about it, and a skill's venv may hold .pth files.
 */
export const uvSourceArgs = (config: PackageGuardConfig, basePython: string): string[] => [
  "--no-config",
  "--python",
  basePython,
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
