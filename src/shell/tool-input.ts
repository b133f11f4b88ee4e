/**
 * What the `process` and `terminal` tools type into a running program, as lines. Line editing the gate can follow
 * (backspace, ^W, ^U, ^C) is applied; keys it cannot (cursor movement, history, yank, transpose, escape sequences)
 * mark the line as edited, and such a line is refused when it carries text.
 */

/** One line of input: submitted (Enter) or still pending. */
export type InputLine = { text: string; submitted: boolean; edited: boolean; history: boolean };

const EDIT = "\u0000";
const HISTORY = "\u0001";

const NAMED_KEYS: Record<string, string> = {
  enter: "\r",
  return: "\r",
  "c-m": "\r",
  kpenter: "\r",
  "c-j": "\n",
  tab: "\t",
  "c-i": "\t",
  space: " ",
  bspace: "\x7f",
  backspace: "\x7f",
  "c-h": "\x7f",
  "c-w": "\x17",
  "c-u": "\x15",
  "c-c": "\x03",
  "c-d": "\x04",
  up: HISTORY,
  down: HISTORY,
  "c-p": HISTORY,
  "c-n": HISTORY,
  "c-r": HISTORY,
  "c-s": HISTORY,
  pageup: HISTORY,
  pagedown: HISTORY,
};

const keyText = (key: string): string => {
  if (key.length === 1) return key;
  return NAMED_KEYS[key.toLowerCase()] ?? EDIT;
};

const hexText = (bytes: readonly string[]): string =>
  new TextDecoder("utf-8", { fatal: false }).decode(
    Buffer.from(
      bytes.filter((b) => /^(0x)?[0-9a-fA-F]{1,2}$/.test(b)).map((b) => Number.parseInt(b.replace(/^0x/, ""), 16)),
    ),
  );

/** The characters a `process` or `terminal` call sends, in the order the tool sends them. */
export const inputText = (tool: string, params: Record<string, unknown>): string | null => {
  const str = (k: string): string => (typeof params[k] === "string" ? (params[k] as string) : "");
  const list = (k: string): string[] =>
    Array.isArray(params[k]) ? (params[k] as unknown[]).filter((v): v is string => typeof v === "string") : [];
  const action = str("action");
  if (tool === "terminal") return action === "input" ? str("data") : null;
  switch (action) {
    case "write":
      return str("data");
    case "paste":
      return str("text");
    case "submit":
      return "\r";
    case "send-keys":
      return str("literal") + hexText(list("hex")) + list("keys").map(keyText).join("");
    default:
      return null;
  }
};

const deleteWord = (line: string): string => line.replace(/\S*\s*$/, "");

/** Splits pending + new input into lines, applying the edits that can be followed. */
export const inputLines = (pending: string, input: string): { lines: InputLine[]; pending: string } => {
  const lines: InputLine[] = [];
  let text = "";
  let edited = false;
  let history = false;
  const flush = (submitted: boolean): void => {
    lines.push({ text, submitted, edited, history });
    text = "";
    edited = false;
    history = false;
  };
  for (const c of pending + input) {
    if (c === "\r" || c === "\n") flush(true);
    else if (c === "\x7f" || c === "\b") text = text.slice(0, -1);
    else if (c === "\x17") text = deleteWord(text);
    else if (c === "\x15" || c === "\x03") {
      text = "";
      edited = false;
      history = false;
    } else if (c === HISTORY) history = true;
    else if (c === EDIT || c === "\x1b" || (c < " " && c !== "\t") || c === "\x9b") edited = true;
    else text += c;
  }
  if (text !== "" || edited || history) lines.push({ text, submitted: false, edited, history });
  const last = lines.at(-1);
  return { lines, pending: last && !last.submitted ? markers(last) + last.text : "" };
};

// A pending line keeps its markers so the next call still knows it was edited.
const markers = (line: InputLine): string => `${line.edited ? EDIT : ""}${line.history ? HISTORY : ""}`;

/** Paths an apply_patch input adds, updates, deletes or moves to. */
export const patchPaths = (input: string): string[] => {
  const out: string[] = [];
  for (const m of input.matchAll(/^\*\*\* (?:Add|Update|Delete) File: (.+)$|^\*\*\* Move to: (.+)$/gm)) {
    const path = (m[1] ?? m[2] ?? "").trim();
    if (path) out.push(path);
  }
  return out;
};
