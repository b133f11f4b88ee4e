import { readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import type { PackageGuardConfig } from "../config.js";
import { writeFileAtomic } from "../util/fs.js";
import { isRecord } from "../util/is-record.js";
import { locate } from "./tools.js";

/**
 * Which Python makes skill venvs, and why. The one rule for every entry point (gateway tools and RPC, hooks, the
 * package-guard bin, installPolicy): an absolute `python.python` is used as is; a bare name is looked up on PATH
 * once, by whichever process needs it first, and recorded in the state dir; every process then uses the recorded
 * interpreter while it exists, whatever its own PATH says (a shell with a venv active, a service with a short PATH).
 */
export type PythonChoice = {
  path: string | null;
  how: "configured" | "recorded" | "looked-up" | "missing";
  /** What this process's own PATH finds for a bare name (differs from `path` when another process recorded it). */
  onPath: string | null;
  record: { file: string; path: string; by: string; at: string } | null;
};

type Record = { configured: string; path: string; by: string; at: string };

export const pythonRecordFile = (config: Pick<PackageGuardConfig, "dataDir">): string =>
  join(config.dataDir, "python.json");

const readRecord = async (file: string, configured: string): Promise<Record | null> => {
  try {
    const value: unknown = JSON.parse(await readFile(file, "utf8"));
    if (!isRecord(value) || value.configured !== configured || typeof value.path !== "string") return null;
    return { configured, path: value.path, by: String(value.by), at: String(value.at) };
  } catch {
    return null;
  }
};

export const choosePython = async (
  config: Pick<PackageGuardConfig, "dataDir" | "python">,
  who: string = `pid ${process.pid} (${process.argv[1] ?? "node"})`,
  now: () => Date = () => new Date(),
): Promise<PythonChoice> => {
  const configured = config.python.python;
  if (isAbsolute(configured)) {
    const path = await locate(configured);
    return { path, how: path ? "configured" : "missing", onPath: null, record: null };
  }
  const file = pythonRecordFile(config);
  const onPath = await locate(configured);
  const recorded = await readRecord(file, configured);
  if (recorded && (await locate(recorded.path)) !== null) {
    return { path: recorded.path, how: "recorded", onPath, record: { file, ...recorded } };
  }
  if (onPath === null) return { path: null, how: "missing", onPath, record: null };
  const record = { configured, path: onPath, by: who, at: now().toISOString() };
  // Best effort: a read-only state dir still gets this process's lookup, and doctor reports the state dir.
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`).catch(() => undefined);
  return { path: onPath, how: "looked-up", onPath, record: { file, ...record } };
};
