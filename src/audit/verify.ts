import { stat } from "node:fs/promises";
import { linesForward, logFiles, type RawLine } from "./reader.js";
import { type ChainHead, hashRecord, parseRecord } from "./record.js";

export type VerifyResult = {
  ok: boolean;
  records: number;
  files: number;
  firstBadLine?: { file: string; line: number; problem: string };
};

const exists = async (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return false;
      throw error;
    },
  );

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Why a line breaks the chain, or the new chain head if it extends it. */
const check = (line: RawLine, head: ChainHead | null): string | ChainHead => {
  if (!line.terminated) return "torn last line";
  const text = line.bytes.toString("utf8");
  const record = parseRecord(text);
  if (!record) return isJson(text) ? "malformed record" : "not JSON";
  if (hashRecord(record as unknown as Record<string, unknown>) !== record.hash) return "hash mismatch";
  if (head === null) {
    // Rotation drops the oldest files, so the oldest record kept may legitimately start mid-chain.
    if (record.seq < 1) return "seq gap";
    if (record.seq === 1 && record.prev !== null) return "prev link broken";
  } else {
    if (record.seq > head.seq + 1) return "seq gap";
    if (record.seq <= head.seq) return "seq out of order";
    if (record.prev !== head.hash) return "prev link broken";
  }
  return { seq: record.seq, hash: record.hash };
};

/**
 * Walks the rotated files oldest to newest and then the live file, stopping at the first line that breaks the chain.
 */
export const verifyLog = async (file: string): Promise<VerifyResult> => {
  const files: string[] = [];
  for (const path of logFiles(file).toReversed()) if (await exists(path)) files.push(path);
  let head: ChainHead | null = null;
  let records = 0;
  for (const path of files) {
    let lineNo = 0;
    for await (const line of linesForward(path)) {
      lineNo += 1;
      const result = check(line, head);
      if (typeof result === "string")
        return { ok: false, records, files: files.length, firstBadLine: { file: path, line: lineNo, problem: result } };
      head = result;
      records += 1;
    }
  }
  return { ok: true, records, files: files.length };
};
