import { constants } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { openStateFile } from "../util/fs.js";
import { archiveDir, linesForward, logFiles, MAX_ROTATIONS, readAt } from "./reader.js";
import { parseRecord } from "./record.js";

export const FILE_MODE = 0o600;

const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;

const writeAll = async (path: string, data: Buffer, sync: boolean): Promise<void> => {
  // O_APPEND: even a writer that ignored the lock could not overwrite existing records. Never through a link.
  const handle = await openStateFile(path, "The audit log", APPEND);
  if (handle === null) throw new Error(`${path} vanished while it was opened`);
  try {
    let done = 0;
    while (done < data.length) done += (await handle.write(data, done, data.length - done)).bytesWritten;
    if (sync) await handle.datasync();
  } finally {
    await handle.close();
  }
};

/** Appends and flushes to disk: a record the caller was told about must survive a power cut. */
export const appendDurably = (path: string, text: string): Promise<void> =>
  writeAll(path, Buffer.from(text, "utf8"), true);

/** Creates the file if it is missing (mode 0600), refusing a link or anything but a regular file. */
export const ensureLogFile = async (path: string): Promise<void> => {
  const handle = await openStateFile(path, "The audit log", APPEND);
  await handle?.close();
};

/**
 * Moves the bytes of a torn last line into `<file>.corrupt` (kept for forensics, one JSON line per event) and
 * truncates the log back to its last complete line. Copy first, truncate second: a crash in between only
 * duplicates the evidence.
 */
export const quarantineTorn = async (
  file: string,
  tornAt: number,
  size: number,
  ts: string,
): Promise<{ bytes: number; corruptFile: string }> => {
  const corruptFile = `${file}.corrupt`;
  const handle = await openStateFile(file, "The audit log", constants.O_RDWR);
  if (handle === null) throw new Error(`${file} vanished while a torn line was being moved`);
  try {
    const torn = await readAt(handle, tornAt, size - tornAt);
    const entry = {
      ts,
      file,
      offset: tornAt,
      bytes: torn.length,
      text: torn.toString("utf8"),
      base64: torn.toString("base64"),
    };
    await writeAll(corruptFile, Buffer.from(`${JSON.stringify(entry)}\n`, "utf8"), true);
    await handle.truncate(tornAt);
    await handle.datasync();
    return { bytes: torn.length, corruptFile };
  } finally {
    await handle.close();
  }
};

const renameIfExists = async (from: string, to: string): Promise<boolean> => {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return false;
  }
};

/** The first seq a file holds, for its archive name (a file with no readable record is named after `fallback`). */
const firstSeq = async (path: string, fallback: number): Promise<number> => {
  for await (const line of linesForward(path)) {
    const record = line.terminated ? parseRecord(line.bytes.toString("utf8")) : null;
    if (record) return record.seq;
  }
  return fallback;
};

/**
 * `<file>.5` moves into `<file>.archive/` (named after its first seq) instead of being overwritten, then `.4` ->
 * `.5` … live -> `.1`; the next append creates a fresh live file. Retention never drops a record: only an
 * operator's prune does, and that is itself a record.
 */
export const rotate = async (file: string): Promise<void> => {
  const names = logFiles(file);
  const oldest = names[MAX_ROTATIONS]!;
  const seq = await firstSeq(oldest, Date.now()).catch(() => null);
  if (seq !== null) {
    const dir = archiveDir(file);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await renameIfExists(oldest, join(dir, `${String(seq).padStart(12, "0")}.jsonl`));
  }
  for (let i = MAX_ROTATIONS - 1; i >= 0; i -= 1) await renameIfExists(names[i]!, names[i + 1]!);
};
