import { manifestConfigSchema } from "../src/config.js";
import { CLI_DESCRIPTOR } from "../src/surfaces/cli-descriptor.js";
import { TOOL_NAMES } from "../src/surfaces/tools.js";

/** openclaw.plugin.json, built from the code: the config schema and the tool list have one source of truth. */
export const buildManifest = (version: string): Record<string, unknown> => ({
  id: "package-guard",
  name: "Package Guard",
  description:
    "Lets agents install whitelisted Python packages into per-skill virtualenvs: tiered whitelist by maturity, " +
    "vulnerability scan of the resolved set, exact hashed installs with uv, tamper-evident audit log.",
  version,
  categories: ["security", "developer-tools"],
  activation: { onStartup: true },
  contracts: { tools: [...TOOL_NAMES] },
  skills: ["skills"],
  cliCommands: [CLI_DESCRIPTOR],
  configSchema: manifestConfigSchema(),
});
