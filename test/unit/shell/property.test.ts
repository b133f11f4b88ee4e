import { beforeAll, describe, expect, it } from "vitest";
import { decideFindings } from "../../../src/service/shell-decision.js";
import { analyzeLoaded } from "../../../src/shell/analyze.js";
import { loadShellParser } from "../../../src/shell/parser.js";
import { CONTROLS, INSTALLS, OPAQUE, ORDINARY, PATHS } from "./table.js";

beforeAll(async () => {
  await loadShellParser();
});

const decision = (command: string): string =>
  decideFindings(analyzeLoaded(command, { paths: PATHS }).findings, "block").decision;

const singleQuoted = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The four contexts of issue 12, each a function of the command it wraps. */
const CONTEXTS: [string, (c: string) => string][] = [
  ["inside bash -c '…'", (c) => `bash -c ${singleQuoted(c)}`],
  ["after cd x &&", (c) => `cd x && ${c}`],
  // A here-document must end on its own line: the next command then starts on a new line.
  ["before ; true", (c) => (c.includes("\n") ? `${c}\ntrue` : `${c}; true`)],
  ["behind sudo", (c) => (sudoable(c) ? `sudo ${c}` : c)],
];

const caught = [...INSTALLS, ...OPAQUE, ...CONTROLS].map(([c]) => c);

// `sudo` runs one program: put before a compound command (`{ …; }`, `if`, `for`, `!`) or before the shell's own
// alias, cd or assignment, it runs a program named `{`, `if`, `alias`, `cd` … and the rest is a syntax error or
// another command. Those rows stay as they are in the sudo context: sudo means something only before a simple command.
const SHELL_SYNTAX_FIRST =
  /^(\{|\(|!|if |for |while |until |case |alias |cd |set |[A-Za-z_]\w*\(\)|[A-Za-z_]\w*=("[^"]*"|'[^']*'|\S)*;)/;
const sudoable = (c: string): boolean => !SHELL_SYNTAX_FIRST.test(c);

describe("a caught command stays caught", () => {
  it.each(CONTEXTS)("%s", (_name, wrap) => {
    const escaped = caught.filter((c) => decision(wrap(c)) === "pass").map(wrap);
    expect(escaped).toEqual([]);
  });

  describe.each(CONTEXTS)("%s", (_outer, outer) => {
    it.each(CONTEXTS)("around %s", (_inner, inner) => {
      expect(caught.filter((c) => decision(outer(inner(c))) === "pass").map((c) => outer(inner(c)))).toEqual([]);
    });
  });

  it("three levels of bash -c around sudo and cd", () => {
    const deep = (c: string): string => {
      let out = c;
      for (const [, wrap] of [CONTEXTS[3]!, CONTEXTS[0]!, CONTEXTS[1]!, CONTEXTS[0]!, CONTEXTS[0]!]) out = wrap(out);
      return out;
    };
    expect(caught.filter((c) => decision(deep(c)) === "pass").map(deep)).toEqual([]);
  });
});

describe("an ordinary command stays ordinary", () => {
  it.each(CONTEXTS)("%s", (_name, wrap) => {
    const refused = ORDINARY.map(([c]) => c)
      .filter((c) => decision(wrap(c)) !== "pass")
      .map(wrap);
    expect(refused).toEqual([]);
  });
});
