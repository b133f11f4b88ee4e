import type { FileHandle } from "node:fs/promises";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { openStateFile } from "../util/fs.js";

const NEWLINE = 0x0a;

/** A line's bytes without the "\n"; `start` is its byte offset; `terminated` is false only for a torn tail. */
export type RawLine = { bytes: Buffer; start: number; terminated: boolean };

export const MAX_ROTATIONS = 5;

/** Newest first: the live file, then `<file>.1` … `<file>.5`. */
export const logFiles = (file: string): string[] => [
  file,
  ...Array.from({ length: MAX_ROTATIONS }, (_, i) => `${file}.${i + 1}`),
];

/** Where rotation moves files older than `<file>.5`: nothing is ever dropped, only archived. */
export const archiveDir = (file: string): string => `${file}.archive`;

const ARCHIVE_NAME = /^\d{12}\.jsonl$/;

/** Archived files, oldest first (each is named after the first seq it holds, zero-padded). */
export const archivedFiles = async (file: string): Promise<string[]> => {
  const dir = archiveDir(file);
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  return names
    .filter((n) => ARCHIVE_NAME.test(n))
    .toSorted()
    .map((n) => join(dir, n));
};

/** Every file of the log, newest first: live, rotated, then archived. */
export const allLogFiles = async (file: string): Promise<string[]> => [
  ...logFiles(file),
  ...(await archivedFiles(file)).toReversed(),
];

/** Opens one of the log's files for reading, never through a link; null when it does not exist. */
export const openLogFile = (path: string): Promise<FileHandle | null> => openStateFile(path, "The audit log file");

/** `length` bytes from `position`, fewer only at the end of the file. */
export const readAt = async (handle: FileHandle, position: number, length: number): Promise<Buffer> => {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) return buffer.subarray(0, done);
    done += bytesRead;
  }
  return buffer;
};

/**
 * Lines from the end of the first `size` bytes back to the start, a chunk's worth at a time (one read, one
 * await per chunk, not per line), so that the newest records of a large log cost a few reads.
 */
export async function* lineBatchesBackward(
  handle: FileHandle,
  size: number,
  chunkSize = 64 * 1024,
  skip?: (region: Buffer) => boolean,
): AsyncGenerator<RawLine[]> {
  if (size <= 0) return;
  let position = size;
  let carry = Buffer.alloc(0); // the end of a line whose beginning lies in a chunk not read yet
  let terminated = true;
  let first = true;
  while (position > 0) {
    const length = Math.min(chunkSize, position);
    position -= length;
    const chunk = await readAt(handle, position, length);
    const data = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk;
    let end = data.length;
    if (first) {
      first = false;
      if (data[end - 1] === NEWLINE) end -= 1;
      else terminated = false;
    }
    const batch: RawLine[] = [];
    // A caller that can tell from the raw bytes that no line here matters saves splitting them (see query.ts).
    const firstNl = data.indexOf(NEWLINE);
    if (skip && firstNl >= 0 && firstNl < end && skip(data.subarray(firstNl + 1, end))) {
      terminated = true;
      end = firstNl;
    }
    // Guard end > 0: Buffer#lastIndexOf treats a negative offset as counting from the end.
    for (
      let nl = end > 0 ? data.lastIndexOf(NEWLINE, end - 1) : -1;
      nl >= 0;
      nl = end > 0 ? data.lastIndexOf(NEWLINE, end - 1) : -1
    ) {
      batch.push({ bytes: data.subarray(nl + 1, end), start: position + nl + 1, terminated });
      terminated = true;
      end = nl;
    }
    if (batch.length > 0) yield batch;
    carry = Buffer.from(data.subarray(0, end));
  }
  yield [{ bytes: carry, start: 0, terminated }];
}

/** The same lines one at a time. */
export async function* linesBackward(handle: FileHandle, size: number, chunkSize = 64 * 1024): AsyncGenerator<RawLine> {
  for await (const batch of lineBatchesBackward(handle, size, chunkSize)) yield* batch;
}

/** Lines from the start, in chunks; the last one has `terminated: false` if the file does not end with "\n". */
export async function* linesForward(path: string, chunkSize = 1024 * 1024): AsyncGenerator<RawLine> {
  const handle = await openLogFile(path);
  if (handle === null) return;
  try {
    const size = (await handle.stat()).size;
    let position = 0;
    let carry = Buffer.alloc(0);
    let carryStart = 0;
    while (position < size) {
      const chunk = await readAt(handle, position, Math.min(chunkSize, size - position));
      if (chunk.length === 0) break;
      position += chunk.length;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let begin = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, begin)) {
        yield { bytes: data.subarray(begin, nl), start: carryStart + begin, terminated: true };
        begin = nl + 1;
      }
      carryStart += begin;
      carry = Buffer.from(data.subarray(begin));
    }
    if (carry.length > 0) yield { bytes: carry, start: carryStart, terminated: false };
  } finally {
    await handle.close();
  }
}
