import { open, rename } from "node:fs/promises";
import { logFiles, MAX_ROTATIONS, readAt } from "./reader.js";

export const FILE_MODE = 0o600;

const writeAll = async (path: string, data: Buffer, sync: boolean): Promise<void> => {
  // "a" is O_APPEND: even a writer that ignored the lock could not overwrite existing records.
  const handle = await open(path, "a", FILE_MODE);
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
  const handle = await open(file, "r+");
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

const renameIfExists = async (from: string, to: string): Promise<void> => {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
};

/** `<file>.4` -> `.5` (replacing the oldest) … live -> `.1`; the next append creates a fresh live file. */
export const rotate = async (file: string): Promise<void> => {
  const names = logFiles(file);
  for (let i = MAX_ROTATIONS - 1; i >= 0; i -= 1) await renameIfExists(names[i]!, names[i + 1]!);
};
