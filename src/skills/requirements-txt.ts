import { fileProblem, type FileReading } from "./findings.js";

// pip's rules (req_file.py): a comment starts at a '#' at the line start or after blanks, and a line ending in '\'
// continues on the next. Here a line holding a comment never continues: pip would swallow the next line into the
// comment, so reading that line on its own only vets more.
const COMMENT = /(^|\s+)#.*$/;
// A per-requirement hash pins a file; package-guard pins its own from the configured index and installs only what it
// scanned, so a declared hash is accepted and not used. No other option is.
const HASH = /^--hash(?:=|$)/;
const HASH_VALUE = /^(?:sha256|sha384|sha512):[0-9a-fA-F]+$/;

type Logical = { line: number; text: string };

const logicalLines = (text: string): Logical[] => {
  const out: Logical[] = [];
  let pending: { line: number; parts: string[] } | null = null;
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    if (raw.endsWith("\\") && !COMMENT.test(raw)) {
      pending ??= { line: i + 1, parts: [] };
      pending.parts.push(raw.slice(0, -1));
      continue;
    }
    out.push(pending ? { line: pending.line, text: [...pending.parts, raw].join("") } : { line: i + 1, text: raw });
    pending = null;
  }
  if (pending) out.push({ line: pending.line, text: pending.parts.join("") });
  return out.map((l) => ({ line: l.line, text: l.text.replace(COMMENT, "").trim() })).filter((l) => l.text !== "");
};

const shown = (text: string): string => (text.length > 80 ? `${text.slice(0, 80)}…` : text);

/** Trailing `--hash` options are accepted; returns the first other option, or null. */
const badOption = (tokens: readonly string[]): string | null => {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!HASH.test(token)) return token;
    const value = token.includes("=") ? token.slice(token.indexOf("=") + 1) : tokens[++i];
    if (value === undefined || !HASH_VALUE.test(value)) return `${token} ${value ?? ""}`.trim();
  }
  return null;
};

/**
 * A requirements file, with pip's comment and line-continuation rules. Option lines (`-r`, `-c`, `-e`,
 * `--index-url`, `--extra-index-url`, `--find-links`, `--trusted-host`, …) are findings: an include is not
 * followed, and the index is the operator's. The requirement itself goes to the service's strict grammar (URLs,
 * paths, `${VAR}` are refused there); an environment marker is cut off and the requirement vetted as if it held.
 */
export const readRequirementsTxt = (text: string, file: string): FileReading => {
  const out: FileReading = { declared: [], findings: [] };
  for (const { line, text: logical } of logicalLines(text)) {
    if (logical.startsWith("-")) {
      out.findings.push(
        fileProblem(
          file,
          "requirements-option",
          `${file}:${line} '${shown(logical)}' is an installer option; package-guard does not follow includes or ` +
            `take index settings from a skill: list each package by name and version range instead`,
          line,
        ),
      );
      continue;
    }
    const tokens = logical.split(/\s+/);
    const optionAt = tokens.findIndex((t) => t.startsWith("-"));
    const head = (optionAt === -1 ? tokens : tokens.slice(0, optionAt)).join(" ");
    const bad = optionAt === -1 ? null : badOption(tokens.slice(optionAt));
    if (bad !== null) {
      out.findings.push(
        fileProblem(
          file,
          "requirements-option",
          `${file}:${line} option '${shown(bad)}' is not allowed after a requirement (only --hash is)`,
          line,
        ),
      );
      continue;
    }
    const cut = head.indexOf(";");
    const requirement = (cut === -1 ? head : head.slice(0, cut)).trim();
    if (requirement === "") {
      out.findings.push(fileProblem(file, "dependency-malformed", `${file}:${line} has no requirement`, line));
      continue;
    }
    out.declared.push({ requirement, file, line, ...(cut === -1 ? {} : { conditional: true }) });
  }
  return out;
};
