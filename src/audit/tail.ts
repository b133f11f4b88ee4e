import { linesBackward, logFiles, openLogFile } from "./reader.js";
import { type ChainHead, parseRecord } from "./record.js";

/**
 * What an append needs to know about the live file: where the chain ends, how long the file is, and where a
 * torn last line (bytes after the final "\n") begins, if there is one.
 */
export type Tail = { head: ChainHead | null; size: number; tornAt: number | null };

const TAIL_CHUNK = 4096;

const lastRecord = async (
  path: string,
): Promise<{ head: ChainHead | null; size: number; tornAt: number | null } | null> => {
  const handle = await openLogFile(path);
  if (handle === null) return null;
  try {
    const size = (await handle.stat()).size;
    let tornAt: number | null = null;
    // Usually one 4 KB read; walks further back only past garbage lines, which verify() will report.
    for await (const line of linesBackward(handle, size, TAIL_CHUNK)) {
      if (!line.terminated) {
        tornAt = line.start;
        continue;
      }
      const record = parseRecord(line.bytes.toString("utf8"));
      if (record) return { head: { seq: record.seq, hash: record.hash }, size, tornAt };
    }
    return { head: null, size, tornAt };
  } finally {
    await handle.close();
  }
};

/**
 * The live file's tail; if it holds no record yet (fresh, or just rotated), the chain continues from a rotated file.
 */
export const readTail = async (file: string): Promise<Tail> => {
  const live = (await lastRecord(file)) ?? { head: null, size: 0, tornAt: null };
  if (live.head) return live;
  for (const rotated of logFiles(file).slice(1)) {
    const found = await lastRecord(rotated);
    if (found?.head) return { ...live, head: found.head };
  }
  return live;
};
