import { fileProblem, type SkillFinding } from "./findings.js";

export type Decoded = { ok: true; text: string } | { ok: false; finding: SkillFinding };

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const LENIENT = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

const startsWith = (bytes: Buffer, ...prefix: number[]): boolean => prefix.every((b, i) => bytes[i] === b);

/**
 * Bundle file bytes -> text with "\n" line ends and no BOM. Every installer reads these files as UTF-8 (TOML
 * must be), so anything else is a finding: a UTF-16 requirements file pip would decode and we would not, a NUL.
 * `lenient` (Python sources, which may declare another encoding) turns bad bytes into U+FFFD instead: the strict
 * grammar then refuses any requirement they land in.
 */
export const decodeText = (bytes: Buffer, file: string, lenient = false): Decoded => {
  if (startsWith(bytes, 0xff, 0xfe) || startsWith(bytes, 0xfe, 0xff) || startsWith(bytes, 0, 0, 0xfe, 0xff)) {
    return { ok: false, finding: fileProblem(file, "file-encoding", `${file} is UTF-16/UTF-32; save it as UTF-8`) };
  }
  let text: string;
  try {
    text = (lenient ? LENIENT : UTF8).decode(bytes);
  } catch {
    return { ok: false, finding: fileProblem(file, "file-encoding", `${file} is not valid UTF-8`) };
  }
  if (!lenient && text.includes("\u0000"))
    return { ok: false, finding: fileProblem(file, "file-encoding", `${file} contains NUL bytes; it is not text`) };
  return {
    ok: true,
    text: text
      .replace(/^\uFEFF/, "")
      .replace(/\r\n/g, "\n")
      .replace(/\r/g, "\n"),
  };
};
