import { rm } from "node:fs/promises";
import { PackageGuardError } from "../errors.js";
import { readStateFile, writeFileAtomic } from "../util/fs.js";
import { isRecord } from "../util/is-record.js";
import type { Operation, Pin, Wanted } from "./types.js";

/** What a skill's venv is supposed to hold; replaced atomically, and only after an install succeeded. */
export type SkillState = {
  version: 1;
  skill: string;
  requirements: Wanted;
  pins: Pin[];
  python: { path: string; version: string | null };
  installer: "uv" | "pip";
  updatedAt: string;
  /** The transaction that wrote this state, so recovery can tell a finished install from an interrupted one. */
  lastTxId: string | null;
};

/** Journal written before the venv is touched; its presence at start-up means an install was cut short. */
export type PendingTransaction = {
  version: 1;
  txId: string;
  operation: Operation;
  package: string;
  previous: { requirements: Wanted; pins: Pin[] };
  startedAt: string;
};

const isPin = (v: unknown): v is Pin =>
  isRecord(v) &&
  typeof v.name === "string" &&
  typeof v.version === "string" &&
  Array.isArray(v.hashes) &&
  v.hashes.every((h) => typeof h === "string");

const isWanted = (v: unknown): v is Wanted =>
  isRecord(v) &&
  Object.values(v).every(
    (r) =>
      isRecord(r) &&
      typeof r.specifier === "string" &&
      Array.isArray(r.extras) &&
      r.extras.every((e) => typeof e === "string") &&
      typeof r.requestedAt === "string",
  );

const corrupt = (path: string, why: string): PackageGuardError =>
  new PackageGuardError(
    "INSTALL_FAILED",
    `${path} is unreadable (${why}); restore it from a backup or remove the skill's venv and state to start over`,
    {
      details: { reason: "state-corrupt", path },
    },
  );

const readJson = async (path: string): Promise<unknown> => {
  // SECURITY: never through a link: a planted state.json would decide what the venv is believed to hold.
  const text = await readStateFile(path, "The skill state file");
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw corrupt(path, "not JSON");
  }
};

export const readState = async (path: string): Promise<SkillState | null> => {
  const data = await readJson(path);
  if (data === undefined) return null;
  if (!isRecord(data) || !isWanted(data.requirements) || !Array.isArray(data.pins) || !data.pins.every(isPin))
    throw corrupt(path, "unexpected shape");
  return data as SkillState;
};

export const writeState = (path: string, state: SkillState): Promise<void> =>
  writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);

export const readPending = async (path: string): Promise<PendingTransaction | null> => {
  const data = await readJson(path);
  if (data === undefined) return null;
  const previous = isRecord(data) ? data.previous : undefined;
  if (
    !isRecord(data) ||
    typeof data.txId !== "string" ||
    (data.operation !== "install" && data.operation !== "uninstall") ||
    typeof data.package !== "string" ||
    !isRecord(previous) ||
    !isWanted(previous.requirements) ||
    !Array.isArray(previous.pins) ||
    !previous.pins.every(isPin)
  ) {
    throw corrupt(path, "unexpected shape");
  }
  return data as PendingTransaction;
};

export const writePending = (path: string, tx: PendingTransaction): Promise<void> =>
  writeFileAtomic(path, `${JSON.stringify(tx, null, 2)}\n`);

export const clearPending = (path: string): Promise<void> => rm(path, { force: true });
