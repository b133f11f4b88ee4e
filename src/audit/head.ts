import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { readFile } from "node:fs/promises";
import { PackageGuardError } from "../errors.js";
import { readStateFile, writeFileAtomic } from "../util/fs.js";
import { canonicalJson } from "./record.js";

/**
 * The chain's anchor outside the log: the last seq and hash, rewritten at every append. A log cut short at the end
 * (or its live file deleted) no longer reaches the head, and a chain recomputed with the public hash disagrees
 * with it; signed with an operator's Ed25519 key, the head cannot be recomputed along with the chain.
 */
export type AuditHead = { version: 1; seq: number; hash: string; ts: string; signature?: string };

export const headFile = (file: string): string => `${file}.head`;

const payload = (head: AuditHead): Buffer =>
  Buffer.from(canonicalJson({ version: head.version, seq: head.seq, hash: head.hash, ts: head.ts }), "utf8");

export type HeadKeys = { privateKey: KeyObject | null; publicKey: KeyObject };

/** Loads an operator's Ed25519 private key (PEM); the public half verifies. CONFIG_INVALID for anything else. */
export const loadSigningKey = async (path: string): Promise<HeadKeys> => {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(path, "utf8"));
  } catch (error) {
    throw new PackageGuardError(
      "CONFIG_INVALID",
      `audit.signingKey ${path} is not a readable PEM private key (${(error as Error).message}); create one with ` +
        `'openssl genpkey -algorithm ed25519 -out <file>'`,
    );
  }
  if (privateKey.asymmetricKeyType !== "ed25519")
    throw new PackageGuardError(
      "CONFIG_INVALID",
      `audit.signingKey ${path} is a ${privateKey.asymmetricKeyType} key; it must be Ed25519`,
    );
  return { privateKey, publicKey: createPublicKey(privateKey) };
};

export const sealHead = (head: Omit<AuditHead, "version" | "signature">, keys: HeadKeys | null): AuditHead => {
  const unsigned: AuditHead = { version: 1, ...head };
  if (!keys?.privateKey) return unsigned;
  return { ...unsigned, signature: sign(null, payload(unsigned), keys.privateKey).toString("base64") };
};

export const signatureValid = (head: AuditHead, publicKey: KeyObject): boolean => {
  if (typeof head.signature !== "string") return false;
  try {
    return verify(null, payload(head), publicKey, Buffer.from(head.signature, "base64"));
  } catch {
    return false;
  }
};

const isHead = (v: unknown): v is AuditHead => {
  const h = v as Partial<AuditHead> | null;
  return (
    typeof h === "object" &&
    h !== null &&
    h.version === 1 &&
    Number.isSafeInteger(h.seq) &&
    typeof h.hash === "string" &&
    typeof h.ts === "string" &&
    (h.signature === undefined || typeof h.signature === "string")
  );
};

/** The head, null when there is none yet; "unreadable" for a file that is there but is not a head. */
export const readHead = async (file: string): Promise<AuditHead | null | "unreadable"> => {
  const text = await readStateFile(headFile(file), "The audit head");
  if (text === null) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return isHead(parsed) ? parsed : "unreadable";
  } catch {
    return "unreadable";
  }
};

// No fsync: the log itself is synced first; a head a power cut left behind only trails the log, which verify allows.
export const writeHead = (file: string, head: AuditHead): Promise<void> =>
  writeFileAtomic(headFile(file), `${JSON.stringify(head)}\n`, { sync: false, what: "The audit head" });
