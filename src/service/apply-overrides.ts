import { overrideFor, type VulnerabilityOverride } from "../policy/overrides.js";
import { isMalware } from "../scan/types.js";
import type { VulnerabilityFinding } from "./types.js";

export type OverrideSplit = {
  blocking: VulnerabilityFinding[];
  overridden: { finding: VulnerabilityFinding; override: VulnerabilityOverride }[];
};

/**
 * Operator overrides for one skill (or component) split a scan's findings into those that still block and those
 * let through; each finding is matched in its own ecosystem. Shared by the PyPI and npm pipelines.
 */
export const applyOverrides = async (
  overrides: { live(): Promise<VulnerabilityOverride[]> },
  scope: string,
  findings: VulnerabilityFinding[],
  now: Date,
): Promise<OverrideSplit> => {
  if (findings.length === 0) return { blocking: [], overridden: [] };
  const live = await overrides.live();
  const out: OverrideSplit = { blocking: [], overridden: [] };
  for (const finding of findings) {
    // SECURITY: malware is never overridable, whatever an override names.
    const override = isMalware(finding) ? undefined : overrideFor(live, scope, finding, now);
    if (override) out.overridden.push({ finding, override });
    else out.blocking.push(finding);
  }
  return out;
};
