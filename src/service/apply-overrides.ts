import { overrideFor, type VulnerabilityOverride } from "../policy/overrides.js";
import type { VulnerabilityFinding } from "./types.js";

export type OverrideSplit = {
  blocking: VulnerabilityFinding[];
  overridden: { finding: VulnerabilityFinding; override: VulnerabilityOverride }[];
};

/**
 * Operator overrides for one skill (or component) split a scan's findings into those that still block and those
 * let through. Shared by the PyPI and npm pipelines.
 */
export const applyOverrides = async (
  overrides: { live(): Promise<VulnerabilityOverride[]> },
  scope: string,
  findings: VulnerabilityFinding[],
  now: Date,
  ecosystem: "PyPI" | "npm" = "PyPI",
): Promise<OverrideSplit> => {
  if (findings.length === 0) return { blocking: [], overridden: [] };
  const live = await overrides.live();
  const out: OverrideSplit = { blocking: [], overridden: [] };
  for (const finding of findings) {
    const override = overrideFor(live, scope, finding, now, ecosystem);
    if (override) out.overridden.push({ finding, override });
    else out.blocking.push(finding);
  }
  return out;
};
