import type { Maturity } from "../config.js";
import type { ErrorCode } from "../errors.js";
import type { WhitelistEntry } from "../policy/whitelist.js";
import type { AdvisorySourceInfo, Finding } from "../scan/types.js";

// The filters the surfaces accept, from the modules that define them.
export { AUDIT_STATUSES } from "../audit/log.js";
export { APPROVAL_FILTERS } from "../policy/approvals.js";
export type { InstalledPackage } from "../python/types.js";

/** Who is asking. Maturity is never part of this: it is looked up from configuration by agentId. */
export type CallerContext = {
  source: "tool" | "rpc" | "cli" | "hook";
  agentId?: string | null;
  sessionKey?: string | null;
  client?: string | null;
};

export type InstallRequest = {
  package: string;
  version?: string;
  skill: string;
  /** The OpenClaw skill a hook's pre-install is for (never from an agent; surfaces do not pass it). */
  owner?: string;
  /** The seed's `agent_maturity`, as the caller sent it: audited, never used for the decision. */
  claimedMaturity?: string;
};
export type UninstallRequest = { package: string; skill: string };

export type ProgressStage = "checking" | "waiting" | "resolving" | "scanning" | "installing";
export type ProgressFn = (stage: ProgressStage, message: string) => void;

/** A known vulnerability in one pin (the scanner's Finding). */
export type VulnerabilityFinding = Finding;

export type ResourceProfile = {
  packages: { package: string; max_memory_mb: number | null; network_access: boolean }[];
  /** What the skill as a whole needs: the largest memory limit and network if any package needs it. */
  skill: { maxMemoryMb: number | null; networkAccess: boolean };
};

export type InstallResult = {
  package: string;
  version: string;
  skill: string;
  python: string;
  installPath: string;
  dependencies: { name: string; version: string }[];
  vulnerabilitiesFound: number;
  ignoredVulnerabilities: { id: string; package: string; version: string; reason: string; expires: string }[];
  resources: ResourceProfile;
  /** `source`: the advisory data's identity, version and (offline) age. */
  scan: { scanner: string; fromCache: number; scanned: number; source: AdvisorySourceInfo };
  /** Earlier requirements of the skill that the whitelist no longer allows, and what this change did with them. */
  delisted?: { package: string; version: string | null; action: "kept" | "removed" }[];
  installedAt: string;
  durationMs: number;
};

export type CheckResult = {
  allowed: boolean;
  code?: ErrorCode;
  message: string;
  package: string | null;
  specifier: string | null;
  maturity: Maturity;
  requiresApproval?: boolean;
  /** The live grant that lets a package needing approval through. */
  approvalId?: string;
  hints?: string[];
};

/** A whitelist entry as surfaces show it: the entry without its bookkeeping (display name, source layer). */
export type WhitelistView = Omit<WhitelistEntry, "displayName" | "source">;

export type ToolStatus = { name: string; path: string | null; version: string | null; ok: boolean; problem?: string };

export type { DoctorCheck, DoctorReport } from "./doctor.js";

export const SBOM_FORMATS = ["cyclonedx", "pylock"] as const;
export type SbomFormat = (typeof SBOM_FORMATS)[number];

/** `packages.sbom`: the CycloneDX 1.6 document itself, or the text of a PEP 751 pylock.toml. */
export type SbomResult =
  | { skill: string; format: "cyclonedx"; bom: Record<string, unknown> }
  | { skill: string; format: "pylock"; pylock: string };
