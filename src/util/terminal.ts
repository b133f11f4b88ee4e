/**
 * SECURITY: text that reaches an operator's terminal or log viewer carries no control characters: C0 (ESC starts
 * an escape sequence), DEL, C1 (U+0080-U+009F; U+009B is a one-byte CSI), and the invisible bidirectional
 * overrides that make a line read differently from what it holds. Each is shown as its `\uXXXX` escape, which
 * inside JSON text is the same string again, so one rule serves human and `--json` output.
 */
// oxlint-disable-next-line no-control-regex -- control characters are exactly what is replaced
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** The text with every terminal-unsafe character escaped; newlines and tabs stay. */
export const forTerminal = (text: string): string => text.replace(UNSAFE, escape);
