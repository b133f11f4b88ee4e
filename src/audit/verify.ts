import type { KeyObject } from "node:crypto";
import { lstat } from "node:fs/promises";
import { isPackageGuardError } from "../errors.js";
import { type AuditHead, readHead, signatureValid } from "./head.js";
import { allLogFiles, linesForward, type RawLine } from "./reader.js";
import { type AuditRecord, type ChainHead, hashRecord, parseRecord } from "./record.js";

/** What is wrong with the chain as a whole, beyond any single line. */
export type ChainProblem =
  | "missing-start"
  | "truncated-end"
  | "head-mismatch"
  | "head-signature"
  | "head-missing"
  | "head-unreadable"
  | "not-a-regular-file";

export type VerifyResult = {
  ok: boolean;
  records: number;
  files: number;
  firstBadLine?: { file: string; line: number; problem: string };
  problem?: { kind: ChainProblem; message: string };
};

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Why a line breaks the chain, or the record if it extends it. */
const check = (line: RawLine, head: ChainHead | null): string | AuditRecord => {
  if (!line.terminated) return "torn last line";
  const text = line.bytes.toString("utf8");
  const record = parseRecord(text);
  if (!record) return isJson(text) ? "malformed record" : "not JSON";
  if (hashRecord(record as unknown as Record<string, unknown>) !== record.hash) return "hash mismatch";
  if (head === null) {
    if (record.seq < 1) return "seq gap";
    if (record.seq === 1 && record.prev !== null) return "prev link broken";
  } else {
    if (record.seq > head.seq + 1) return "seq gap";
    if (record.seq <= head.seq) return "seq out of order";
    if (record.prev !== head.hash) return "prev link broken";
  }
  return record;
};

/** The records an operator's prune removed: `{throughSeq, throughHash}` of a `pruned` record. */
const prunedThrough = (record: AuditRecord): string | null => {
  const d = record.details;
  return record.status === "pruned" && d && Number.isSafeInteger(d.throughSeq) && typeof d.throughHash === "string"
    ? `${d.throughSeq as number}:${d.throughHash}`
    : null;
};

const existing = async (paths: string[]): Promise<string[] | { kind: "not-a-regular-file"; message: string }> => {
  const out: string[] = [];
  for (const path of paths) {
    const s = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    if (s === null) continue;
    if (!s.isFile())
      return { kind: "not-a-regular-file", message: `${path} is not a regular file (a link?); it was not followed` };
    out.push(path);
  }
  return out;
};

/** The head against the chain that was walked: where the log ends, and whether it is the chain the head saw. */
const checkHead = (
  head: AuditHead | null | "unreadable",
  walked: { records: number; last: ChainHead | null; atHeadSeq: string | null },
  publicKey: KeyObject | undefined,
  file: string,
): VerifyResult["problem"] => {
  if (head === "unreadable")
    return { kind: "head-unreadable", message: `The head file ${file}.head is not a head record; it was edited` };
  if (head === null) {
    return walked.records === 0
      ? undefined
      : {
          kind: "head-missing",
          message: `The head file ${file}.head is missing: the end of the log cannot be checked (it was deleted)`,
        };
  }
  if (publicKey && !signatureValid(head, publicKey))
    return {
      kind: "head-signature",
      message: `The head's signature does not verify with the operator key: the head (and the chain) were rewritten`,
    };
  const lastSeq = walked.last?.seq ?? 0;
  if (lastSeq < head.seq)
    return {
      kind: "truncated-end",
      message:
        `The head records seq ${head.seq} but the log ends at seq ${lastSeq}: its last records, or its live ` +
        `file, were deleted`,
    };
  if (walked.atHeadSeq !== head.hash)
    return {
      kind: "head-mismatch",
      message: `Record ${head.seq} is not the one the head records: the chain was rewritten and its hashes recomputed`,
    };
  return undefined;
};

/**
 * Walks the archived, rotated and live files oldest to newest, stopping at the first line that breaks the chain;
 * then checks both ends: the chain starts at seq 1 (or where a recorded prune left it) and reaches the head.
 */
export const verifyLog = async (file: string, options: { publicKey?: KeyObject } = {}): Promise<VerifyResult> => {
  let head: AuditHead | null | "unreadable";
  try {
    head = await readHead(file);
  } catch (error) {
    if (!isPackageGuardError(error)) throw error;
    return { ok: false, records: 0, files: 0, problem: { kind: "not-a-regular-file", message: error.message } };
  }
  const found = await existing((await allLogFiles(file)).toReversed());
  if (!Array.isArray(found)) return { ok: false, records: 0, files: 0, problem: found };
  let last: ChainHead | null = null;
  let first: AuditRecord | null = null;
  let atHeadSeq: string | null = null;
  const pruned = new Set<string>();
  let records = 0;
  for (const path of found) {
    let lineNo = 0;
    for await (const line of linesForward(path)) {
      lineNo += 1;
      const result = check(line, last);
      if (typeof result === "string")
        return { ok: false, records, files: found.length, firstBadLine: { file: path, line: lineNo, problem: result } };
      first ??= result;
      last = { seq: result.seq, hash: result.hash };
      if (head !== null && head !== "unreadable" && result.seq === head.seq) atHeadSeq = result.hash;
      const through = prunedThrough(result);
      if (through) pruned.add(through);
      records += 1;
    }
  }
  const result: VerifyResult = { ok: true, records, files: found.length };
  if (first && first.seq !== 1 && !pruned.has(`${first.seq - 1}:${first.prev ?? ""}`)) {
    return {
      ...result,
      ok: false,
      problem: {
        kind: "missing-start",
        message:
          `The log starts at seq ${first.seq}: records 1-${first.seq - 1} are missing and no prune record accounts ` +
          `for them (the oldest file, or the first lines, were deleted)`,
      },
    };
  }
  const problem = checkHead(head, { records, last, atHeadSeq }, options.publicKey, file);
  return problem ? { ...result, ok: false, problem } : result;
};
