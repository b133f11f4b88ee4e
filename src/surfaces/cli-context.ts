import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import JSON5 from "json5";
import { parseConfig, type PackageGuardConfig } from "../config.js";
import { PackageGuardError } from "../errors.js";
import { isRecord } from "../util/is-record.js";

export const PLUGIN_ID = "package-guard";

export type CliPaths = { config?: string | undefined; stateDir?: string | undefined };

/** The host's rules (openclaw.plugin-sdk state-paths): OPENCLAW_STATE_DIR, else ~/.openclaw. */
export const defaultStateDir = (env: NodeJS.ProcessEnv = process.env): string => {
  const fromEnv = env.OPENCLAW_STATE_DIR?.trim();
  if (fromEnv) return resolve(fromEnv.replace(/^~(?=$|\/)/, homedir()));
  return join(env.OPENCLAW_HOME?.trim() || env.HOME || homedir(), ".openclaw");
};

export const pluginBlockOf = (hostConfig: unknown): unknown => {
  const entries = (hostConfig as { plugins?: { entries?: Record<string, { config?: unknown }> } } | undefined)?.plugins
    ?.entries;
  return entries && Object.hasOwn(entries, PLUGIN_ID) ? entries[PLUGIN_ID]?.config : undefined;
};

type HostConfig = { stateDir: string; configPath: string; hostConfig: unknown };

/** Reads an openclaw.json (JSON5). A missing default file means "no config": undefined. */
const readHostConfig = async (paths: CliPaths, env: NodeJS.ProcessEnv): Promise<HostConfig> => {
  const stateDir = paths.stateDir ? resolve(paths.stateDir) : defaultStateDir(env);
  const configPath = paths.config
    ? resolve(paths.config)
    : env.OPENCLAW_CONFIG_PATH?.trim() || join(stateDir, "openclaw.json");
  let text: string | null = null;
  try {
    text = await readFile(configPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" || paths.config) {
      throw new PackageGuardError("CONFIG_INVALID", `Cannot read ${configPath}: ${(error as Error).message}`);
    }
  }
  if (text === null) return { stateDir, configPath, hostConfig: undefined };
  try {
    return { stateDir, configPath, hostConfig: JSON5.parse(text) };
  } catch (error) {
    throw new PackageGuardError("CONFIG_INVALID", `${configPath} is not valid JSON5: ${(error as Error).message}`);
  }
};

/** Reads the package-guard block of an openclaw.json (JSON5). A missing file means "no block": defaults. */
export const loadCliConfig = async (
  paths: CliPaths,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PackageGuardConfig> => {
  const { stateDir, configPath, hostConfig } = await readHostConfig(paths, env);
  return parseConfig(pluginBlockOf(hostConfig), stateDir, dirname(configPath));
};

/**
 * OpenClaw's agent ids: the keys of `agents.entries` (and a legacy `agents.list[].id`); with none configured, the
 * one agent OpenClaw runs is `main`.
 */
export const hostAgentIds = (hostConfig: unknown): string[] => {
  const agents = isRecord(hostConfig) && isRecord(hostConfig.agents) ? hostConfig.agents : {};
  const ids = new Set<string>(isRecord(agents.entries) ? Object.keys(agents.entries) : []);
  if (Array.isArray(agents.list))
    for (const a of agents.list) if (isRecord(a) && typeof a.id === "string") ids.add(a.id);
  return ids.size > 0 ? [...ids] : ["main"];
};

/** The agent ids of the openclaw.json the CLI reads; null when there is none to read. */
export const loadHostAgents = async (
  paths: CliPaths,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[] | null> => {
  const { hostConfig } = await readHostConfig(paths, env);
  return hostConfig === undefined ? null : hostAgentIds(hostConfig);
};
