import { fileProblem, type FileReading } from "./findings.js";
import { readRequirementList } from "./pep508-list.js";
import { lineOfText, parseTomlText } from "./toml.js";
import { readToolTables } from "./tool-tables.js";

// PEP 723's reference regex, line by line: `# /// <type>`, then lines that are `#` or `# …`, the last `# ///` among
// them closing the block. Like uv, this reads raw lines whatever Python makes of them: a block inside a string is
// still a block to `uv run`, so it is vetted too. Trailing blanks and a BOM are tolerated (uv refuses those
// blocks, so reading them too only vets more).
const OPENER = /^# \/\/\/ ([a-zA-Z0-9-]+)\s*$/;
const CLOSER = /^# \/\/\/\s*$/;
const CONTENT = /^#(?: .*)?$/;

type Block = { type: string; line: number; content: string[] | null };

const findBlocks = (lines: readonly string[]): Block[] => {
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const type = OPENER.exec(lines[i]!)?.[1];
    if (type === undefined) {
      i++;
      continue;
    }
    let j = i + 1;
    let closer = -1;
    while (j < lines.length && CONTENT.test(lines[j]!)) {
      if (CLOSER.test(lines[j]!)) closer = j;
      j++;
    }
    if (closer === -1) {
      blocks.push({ type, line: i + 1, content: null });
      i = j;
      continue;
    }
    const content = lines.slice(i + 1, closer).map((l) => (l === "#" ? "" : l.slice(2)));
    blocks.push({ type, line: i + 1, content });
    i = closer + 1;
  }
  return blocks;
};

/** The `# /// script` block of a Python file (PEP 723): its `dependencies` and the uv settings that add sources. */
export const readPep723 = (text: string, file: string): FileReading => {
  const out: FileReading = { declared: [], findings: [] };
  const scripts = findBlocks(text.split("\n")).filter((b) => b.type === "script");
  if (scripts.length === 0) return out;
  if (scripts.length > 1) {
    out.findings.push(
      fileProblem(
        file,
        "script-metadata",
        `${file} has ${scripts.length} '# /// script' blocks; PEP 723 allows one`,
        scripts[1]!.line,
      ),
    );
    return out;
  }
  const block = scripts[0]!;
  if (block.content === null) {
    out.findings.push(
      fileProblem(
        file,
        "script-metadata",
        `${file} opens a '# /// script' block that is never closed by '# ///' (every line in between must start ` +
          `with '#')`,
        block.line,
      ),
    );
    return out;
  }
  const toml = block.content.join("\n");
  const parsed = parseTomlText(toml, file, block.line);
  if (!parsed.ok) {
    out.findings.push(parsed.finding);
    return out;
  }
  const lineOf = (needle: string) => lineOfText(toml, needle, block.line);
  if (parsed.data.dependencies !== undefined)
    readRequirementList(
      parsed.data.dependencies,
      `${file} script dependencies`,
      { file, line: block.line, lineOf },
      out,
    );
  readToolTables(parsed.data, `${file} script metadata`, { file, lineOf }, out);
  return out;
};
