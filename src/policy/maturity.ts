import { MATURITY_LEVELS, type Maturity, type PackageGuardConfig } from "../config.js";
import { PackageGuardError } from "../errors.js";

/** 0 for student … 3 for autonomous: a higher rank sees everything a lower one sees. */
export const maturityRank = (m: Maturity): number => MATURITY_LEVELS.indexOf(m);

/** The levels whose whitelist tiers an agent of maturity `m` inherits, lowest first (itself included). */
export const levelsUpTo = (m: Maturity): Maturity[] => MATURITY_LEVELS.slice(0, maturityRank(m) + 1);

export const isMaturity = (value: unknown): value is Maturity =>
  typeof value === "string" && (MATURITY_LEVELS as readonly string[]).includes(value);

/**
 * The maturity of an agent, from the plugin configuration alone.
 * SECURITY: never take the maturity from the caller (tool params, RPC params): an agent could promote itself.
 */
export const resolveMaturity = (
  config: Pick<PackageGuardConfig, "agents" | "defaultMaturity">,
  agentId: string | undefined,
): Maturity => {
  // SECURITY: Object.hasOwn, so an agent id like "__proto__" or "constructor" never reads the prototype chain.
  if (typeof agentId !== "string" || !Object.hasOwn(config.agents, agentId)) return config.defaultMaturity;
  const level: unknown = config.agents[agentId];
  if (!isMaturity(level)) {
    throw new PackageGuardError("CONFIG_INVALID", `agents.${agentId} must be one of: ${MATURITY_LEVELS.join(", ")}`, {
      details: { agentId },
    });
  }
  return level;
};
