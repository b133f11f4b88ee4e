import { constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { childEnv } from "../util/env.js";
import type { Runner } from "../util/exec.js";
import { pathExists } from "../util/fs.js";
import type { ToolInfo } from "./types.js";

const VERSION_TIMEOUT_MS = 15_000;

const executable = (path: string): Promise<boolean> => pathExists(path, constants.X_OK);

/** An absolute path is used as is; a bare name is looked up on PATH (the same PATH children get). */
export const locate = async (
  configured: string,
  path: string | undefined = process.env.PATH,
): Promise<string | null> => {
  if (isAbsolute(configured)) return (await executable(configured)) ? configured : null;
  // A relative path with a slash would depend on the gateway's cwd: refuse rather than guess.
  if (configured.includes("/") || configured === "") return null;
  for (const dir of (path ?? "").split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, configured);
    if (await executable(candidate)) return candidate;
  }
  return null;
};

/** "uv 0.13.9 (…)", "Python 3.11.7", "pip-audit 2.9.0" -> the first dotted version. */
export const parseVersion = (output: string): string | null =>
  /\b(\d+(?:\.\d+)+[A-Za-z0-9.+-]*)/.exec(output)?.[1] ?? null;

/** Finds a tool and asks it for its version; null when it is missing or does not answer. */
export const probeTool = async (runner: Runner, configured: string): Promise<ToolInfo | null> => {
  const path = await locate(configured);
  if (path === null) return null;
  const result = await runner(path, ["--version"], { timeoutMs: VERSION_TIMEOUT_MS, env: childEnv() });
  if (result.exitCode !== 0) return null;
  const version = parseVersion(`${result.stdout}\n${result.stderr}`);
  return version === null ? null : { path, version };
};
