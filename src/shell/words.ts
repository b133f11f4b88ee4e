import type { Node } from "./parser.js";
import type { Field } from "./types.js";

/** What an earlier assignment in the same command told us about a variable. */
export type VarValue = { values: string[]; dynamic: boolean };

export type WordContext = {
  vars: ReadonlyMap<string, VarValue>;
  /** Characters unquoted expansions split on: the default IFS plus any IFS the command assigns. */
  splitChars: string;
};

export const DEFAULT_IFS = " \t\n";

/** One character and how it was written: quoted characters never split, glob or brace-expand. */
type QChar = { c: string; quoted: boolean; expanded: boolean };
/** One way a word can read; null when part of it cannot be known (a substitution, an unknown variable). */
type Seq = QChar[] | null;

// A word with more readings than this is treated as unknown rather than cut short (that could hide one).
const MAX_ALTERNATIVES = 32;
const MAX_BRACE_FIELDS = 256;

const chars = (text: string, quoted: boolean, expanded = false): QChar[] =>
  [...text].map((c) => ({ c, quoted, expanded }));

const product = (parts: Seq[][]): Seq[] | "too-many" => {
  let out: Seq[] = [[]];
  for (const alternatives of parts) {
    const next: Seq[] = [];
    for (const left of out) {
      for (const right of alternatives) next.push(left === null || right === null ? null : [...left, ...right]);
    }
    out = dedupe(next);
    if (out.length > MAX_ALTERNATIVES) return "too-many";
  }
  return out;
};

const dedupe = (seqs: Seq[]): Seq[] => {
  const seen = new Set<string>();
  const out: Seq[] = [];
  for (const s of seqs) {
    const key = s === null ? "\u0000null" : s.map((q) => `${q.quoted ? 1 : 0}${q.expanded ? 1 : 0}${q.c}`).join("");
    if (!seen.has(key)) {
      seen.add(key);
      out.push(s);
    }
  }
  return out;
};

/** Text between a node's children that the grammar did not give a node of its own. */
const pieces = (node: Node): { gap: string | null; child: Node | null }[] => {
  const out: { gap: string | null; child: Node | null }[] = [];
  let at = node.startIndex;
  for (const child of node.children) {
    if (child.startIndex > at)
      out.push({ gap: node.text.slice(at - node.startIndex, child.startIndex - node.startIndex), child: null });
    out.push({ gap: null, child });
    at = child.endIndex;
  }
  if (node.endIndex > at) out.push({ gap: node.text.slice(at - node.startIndex), child: null });
  return out;
};

/** Unquoted word text: a backslash quotes the next character (and removes a line continuation). */
const unquotedWord = (text: string): QChar[] => {
  const out: QChar[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length) {
      const next = text[i + 1]!;
      i++;
      if (next !== "\n") out.push({ c: next, quoted: true, expanded: false });
    } else out.push({ c, quoted: false, expanded: false });
  }
  return out;
};

/** Inside double quotes a backslash only escapes $ ` " \ and a newline. */
const doubleQuoted = (text: string): string => text.replace(/\\([$`"\\\n])/g, (_m, c: string) => (c === "\n" ? "" : c));

const ANSI_SIMPLE: Record<string, string> = {
  a: "\x07",
  b: "\b",
  e: "\x1b",
  E: "\x1b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "?": "?",
};

/** $'…' with bash's escapes: \xHH, \nnn, \uHHHH, \UHHHHHHHH, \cX and the usual letters. */
export const decodeAnsiC = (body: string): string => {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\" || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const e = body[++i]!;
    const hex = (max: number): string => {
      const m = new RegExp(`^[0-9a-fA-F]{1,${max}}`).exec(body.slice(i + 1));
      if (!m) return `\\${e}`;
      i += m[0].length;
      const code = Number.parseInt(m[0], 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : "";
    };
    if (e in ANSI_SIMPLE) out += ANSI_SIMPLE[e];
    else if (e === "x") out += hex(2);
    else if (e === "u") out += hex(4);
    else if (e === "U") out += hex(8);
    else if (e === "c" && i + 1 < body.length) out += String.fromCharCode(body[++i]!.charCodeAt(0) & 0x1f);
    else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,2}/.exec(body.slice(i + 1));
      const digits = e + (m?.[0] ?? "");
      i += m?.[0].length ?? 0;
      out += String.fromCharCode(Number.parseInt(digits, 8) & 0xff);
    } else out += `\\${e}`;
  }
  return out;
};

const variableName = (node: Node): string | null => {
  const named = node.namedChildren.find((c) => c.type === "variable_name" || c.type === "special_variable_name");
  return named ? named.text : null;
};

/** The readings of a variable's value, expanded unquoted (split later) or inside double quotes. */
const variable = (name: string | null, ctx: WordContext, quoted: boolean): Seq[] => {
  const value = name === null ? undefined : ctx.vars.get(name);
  if (!value) return [null];
  // "$@" is one word per argument even inside quotes (arguments holding spaces split here too: conservative).
  const q = quoted && name !== "@";
  const out: Seq[] = value.values.map((v) => chars(v, q, true));
  if (value.dynamic) out.push(null);
  return out;
};

// ${x}, ${x:-w}, ${x-w}, ${x:=w}, ${x=w}, ${x:+w}, ${x+w}: readable; anything else (substrings, patterns, length,
// indirection) is unknown.
const expansion = (node: Node, ctx: WordContext, quoted: boolean): Seq[] => {
  const inner = node.children.filter((c) => c.type !== "${" && c.type !== "}");
  const name = variableName(node);
  if (inner.length === 1 && name !== null) return variable(name, ctx, quoted);
  const operator = node.childForFieldName("operator")?.type ?? null;
  if (name === null || inner[0]?.type !== "variable_name" || operator === null) return [null];
  const operands = inner.slice(1).filter((c) => c.type !== operator);
  if (![":-", "-", ":=", "=", ":+", "+"].includes(operator)) return [null];
  const operand = operands.length === 0 ? [[]] : product(operands.map((o) => readNode(o, ctx, quoted)));
  if (operand === "too-many") return [null];
  return operator.endsWith("+") ? [[], ...operand] : [...variable(name, ctx, quoted), ...operand];
};

/** Every reading of one syntax node, as characters with their quoting. */
const readNode = (node: Node, ctx: WordContext, quoted = false): Seq[] => {
  switch (node.type) {
    case "word":
    case "number":
    case "file_descriptor":
      return [quoted ? chars(node.text, true) : unquotedWord(node.text)];
    case "raw_string":
      return [chars(node.text.slice(1, -1), true)];
    case "ansi_c_string":
      return [chars(decodeAnsiC(node.text.slice(2, -1)), true)];
    case "translated_string":
      return node.namedChildren[0] ? readNode(node.namedChildren[0], ctx, quoted) : [chars(node.text, true)];
    case "string": {
      const parts: Seq[][] = [];
      for (const p of pieces(node)) {
        if (p.gap !== null) parts.push([chars(doubleQuoted(p.gap), true)]);
        else if (p.child!.type === '"') continue;
        else if (p.child!.type === "string_content") parts.push([chars(doubleQuoted(p.child!.text), true)]);
        else parts.push(readNode(p.child!, ctx, true));
      }
      const out = product(parts);
      return out === "too-many" ? [null] : out;
    }
    case "concatenation": {
      const out = product(node.children.map((c) => readNode(c, ctx, quoted)));
      return out === "too-many" ? [null] : out;
    }
    case "simple_expansion":
      return variable(variableName(node), ctx, quoted);
    case "expansion":
      return expansion(node, ctx, quoted);
    case "brace_expression":
      return [chars(node.text, quoted)];
    default:
      // Command and process substitutions, arithmetic, arrays: their value is not known here.
      return [null];
  }
};

const isUnquoted = (q: QChar | undefined, c: string): boolean =>
  q !== undefined && q.c === c && !q.quoted && !q.expanded;

/** Bash brace expansion ({a,b}, {1..3}, {a..e}) on the unquoted, unexpanded braces of one word. */
const expandBraces = (word: QChar[]): QChar[][] => {
  for (let open = 0; open < word.length; open++) {
    if (!isUnquoted(word[open], "{")) continue;
    let depth = 0;
    const commas: number[] = [];
    for (let i = open + 1; i < word.length; i++) {
      if (isUnquoted(word[i], "{")) depth++;
      else if (isUnquoted(word[i], "}")) {
        if (depth > 0) {
          depth--;
          continue;
        }
        const prefix = word.slice(0, open);
        const suffix = word.slice(i + 1);
        const body = word.slice(open + 1, i);
        let options: QChar[][];
        if (commas.length > 0) {
          const cuts = [open, ...commas, i];
          options = cuts.slice(0, -1).map((from, k) => word.slice(from + 1, cuts[k + 1]));
        } else {
          const seq = sequence(body.map((q) => q.c).join(""));
          if (seq === null) break;
          options = seq.map((s) => chars(s, false));
        }
        const out: QChar[][] = [];
        for (const option of options) {
          for (const rest of expandBraces([...option, ...suffix])) {
            out.push([...prefix, ...rest]);
            if (out.length > MAX_BRACE_FIELDS) return out;
          }
        }
        return out;
      } else if (depth === 0 && isUnquoted(word[i], ",")) commas.push(i);
    }
  }
  return [word];
};

const sequence = (body: string): string[] | null => {
  const m = /^(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])(?:\.\.(-?\d+))?$/.exec(body);
  if (!m) return null;
  const numeric = /\d/.test(m[1]!);
  if (numeric !== /\d/.test(m[2]!)) return null;
  const from = numeric ? Number(m[1]) : m[1]!.charCodeAt(0);
  const to = numeric ? Number(m[2]) : m[2]!.charCodeAt(0);
  const step = Math.max(1, Math.abs(Number(m[3] ?? 1)));
  const out: string[] = [];
  for (let v = from; from <= to ? v <= to : v >= to; v += from <= to ? step : -step) {
    out.push(numeric ? String(v) : String.fromCharCode(v));
    if (out.length > MAX_BRACE_FIELDS) break;
  }
  return out;
};

/** Splits on unquoted expansion results (word splitting), then brace-expands each word. */
const toFields = (seq: Seq, source: string, node: Node, splitChars: string): Field[] => {
  if (seq === null) return [{ text: source, known: false, glob: false, source, node }];
  const words: QChar[][] = [];
  let current: QChar[] = [];
  let sawSplit = false;
  for (const q of seq) {
    if (q.expanded && !q.quoted && splitChars.includes(q.c)) {
      sawSplit = true;
      if (current.length > 0) words.push(current);
      current = [];
    } else current.push(q);
  }
  if (current.length > 0 || (!sawSplit && words.length === 0)) words.push(current);
  const out: Field[] = [];
  for (const word of words) {
    for (const expanded of expandBraces(word)) {
      out.push({
        text: expanded.map((q) => q.c).join(""),
        known: true,
        glob: expanded.some((q) => !q.quoted && (q.c === "*" || q.c === "?" || q.c === "[")),
        source,
        node,
      });
    }
  }
  return out;
};

/** Every reading of one word as the fields it becomes (several after splitting or brace expansion). */
export const resolveWord = (node: Node, ctx: WordContext): Field[][] =>
  readNode(node, ctx).map((seq) => toFields(seq, node.text, node, ctx.splitChars));

/** Every reading of a command line: the product of its words' readings, or one unknown reading if too many. */
export const resolveArgv = (nodes: readonly Node[], ctx: WordContext): Field[][] => {
  let out: Field[][] = [[]];
  for (const node of nodes) {
    const readings = resolveWord(node, ctx);
    const next: Field[][] = [];
    for (const left of out) for (const right of readings) next.push([...left, ...right]);
    if (next.length > MAX_ALTERNATIVES) {
      const unknown = { text: node.text, known: false, glob: false, source: node.text, node };
      out = out.map((left) => [...left, unknown]);
    } else out = next;
  }
  return out;
};

/** The value(s) a word gives without splitting or globbing (assignments, here-strings); null when unknown. */
export const resolveString = (node: Node, ctx: WordContext): string[] | null => {
  const seqs = readNode(node, ctx);
  if (seqs.some((s) => s === null)) return null;
  return seqs.map((s) => s!.map((q) => q.c).join(""));
};

/** A glob pattern as a regular expression over whole names. */
export const globRegExp = (pattern: string): RegExp => {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) out += "\\[";
      else {
        const body = pattern
          .slice(i + 1, close)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\");
        out += `[${body}]`;
        i = close;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`, "i");
};
