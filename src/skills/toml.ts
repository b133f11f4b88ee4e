import { parse, TomlError } from "smol-toml";
import { isRecord } from "../util/is-record.js";
import { fileProblem, type SkillFinding } from "./findings.js";

export type TomlRead = { ok: true; data: Record<string, unknown> } | { ok: false; finding: SkillFinding };

// Real dependency files nest a few levels; deeper inline arrays or tables are a parser bomb, not metadata.
const MAX_DEPTH = 32;

/**
 * A TOML document as data, or a critical finding with the line of the error: a file that cannot be parsed is
 * never a pass. Keys such as `__proto__` are refused rather than kept or dropped.
 */
export const parseTomlText = (text: string, file: string, lineOffset = 0): TomlRead => {
  try {
    const data = parse(text, { maxDepth: MAX_DEPTH, unsafeKeyBehaviour: "throw" }) as unknown;
    if (!isRecord(data)) return { ok: false, finding: fileProblem(file, "toml-invalid", `${file} is not a table`) };
    return { ok: true, data };
  } catch (error) {
    const line = error instanceof TomlError ? error.line : 1;
    const first = (error as Error).message.split("\n").find((l) => l.trim() !== "") ?? "parse error";
    return {
      ok: false,
      finding: fileProblem(
        file,
        "toml-invalid",
        `${file} is not valid TOML (${first.slice(0, 160)}); package-guard cannot tell what it installs`,
        line + lineOffset,
      ),
    };
  }
};

/** Where in a TOML text a key or string first appears, for finding lines (1 when it cannot be told). */
export const lineOfText = (text: string, needle: string, lineOffset = 0): number => {
  const at = text.indexOf(needle);
  return (at === -1 ? 1 : text.slice(0, at).split("\n").length) + lineOffset;
};
