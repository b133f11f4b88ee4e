import { join } from "node:path";
import type { PackageGuardConfig } from "../config.js";

/** Where one skill's files live. The venv holds only what the installer puts there; our records sit beside it. */
export type SkillPaths = {
  venv: string;
  python: string;
  /** `<dataDir>/skills/<skill>`: state.json, pending.json, scratch files; also the lock target. */
  data: string;
  state: string;
  pending: string;
  /** What the venv's control files looked like when package-guard made it (venv-integrity.ts). */
  fingerprint: string;
  /** The OpenClaw skill the venv belongs to, once one claimed it (skill-owner.ts). */
  owner: string;
  /** What each installed pin's files and scan were (install-record.ts). */
  record: string;
  /** Present while an operator has the skill quarantined. */
  quarantine: string;
};

export const skillsRoot = (config: PackageGuardConfig): string => join(config.dataDir, "skills");

export const skillPaths = (config: PackageGuardConfig, skill: string): SkillPaths => {
  const data = join(skillsRoot(config), skill);
  const venv = join(config.venvRoot, skill);
  return {
    venv,
    python: join(venv, "bin", "python"),
    data,
    state: join(data, "state.json"),
    pending: join(data, "pending.json"),
    fingerprint: join(data, "venv.json"),
    owner: join(data, "owner.json"),
    record: join(data, "install-record.json"),
    quarantine: join(data, "quarantine.json"),
  };
};

/** Where quarantined venvs are kept: beside the venvs (one filesystem, so a move is a rename), hidden from lookups. */
export const quarantineRoot = (config: PackageGuardConfig): string => join(config.venvRoot, ".quarantine");
