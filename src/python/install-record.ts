import { readFile } from "node:fs/promises";
import { PackageGuardError } from "../errors.js";
import { writeFileAtomic } from "../util/fs.js";
import { isRecord } from "../util/is-record.js";
import type { ReleaseFile } from "./releases.js";
import type { Pin } from "./types.js";

/** A known vulnerability that was let into the venv, and who let it in (an operator override or an ignore rule). */
export type AcceptedFinding = {
  id: string;
  aliases: string[];
  package: string;
  version: string;
  fixedVersions: string[];
  summary?: string;
  acceptedBy: string;
  reason: string;
  expires: string;
};

/** The scan a pin passed when it was installed. */
export type PinScan = { scanner: string; scannedAt: string; accepted: AcceptedFinding[] };

export type PinRecord = { files: ReleaseFile[]; scan: PinScan | null };

/**
 * Beside state.json: where each installed pin came from (its files, their hashes and upload times) and the scan it
 * passed, so an SBOM or a lock file can be written later without the network. Key: `name==version`.
 */
export type InstallRecord = { version: 1; skill: string; updatedAt: string; pins: Record<string, PinRecord> };

export const pinKeyOf = (pin: Pick<Pin, "name" | "version">): string => `${pin.name}==${pin.version}`;

export const readInstallRecord = async (path: string, skill: string): Promise<InstallRecord> => {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, skill, updatedAt: "", pins: {} };
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!isRecord(data) || data.version !== 1 || !isRecord(data.pins)) {
    throw new PackageGuardError(
      "INSTALL_FAILED",
      `${path} is unreadable; reinstall the skill's packages to rewrite it`,
      {
        details: { reason: "state-corrupt", path },
      },
    );
  }
  return data as InstallRecord;
};

/** Keeps the records of the pins now installed (fresh ones replacing older ones) and drops the rest. */
export const updateInstallRecord = async (
  path: string,
  skill: string,
  installed: readonly Pin[],
  fresh: Readonly<Record<string, PinRecord>>,
): Promise<void> => {
  const previous = await readInstallRecord(path, skill).catch(() => ({ pins: {} as Record<string, PinRecord> }));
  const pins: Record<string, PinRecord> = {};
  for (const pin of installed) {
    const key = pinKeyOf(pin);
    const record = fresh[key] ?? previous.pins[key];
    if (record) pins[key] = record;
  }
  const record: InstallRecord = { version: 1, skill, updatedAt: new Date().toISOString(), pins };
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
};
