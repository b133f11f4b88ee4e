import { mentionedInstaller, NETWORK_FETCHERS, programName } from "./names.js";
import { hasOption, optionValue } from "./options.js";
import type { Node } from "./parser.js";
import { commandWords } from "./stdin.js";
import type { Field, PathContext } from "./types.js";
import { DEFAULT_IFS, resolveArgv, resolveString, resolveWord, type VarValue, type WordContext } from "./words.js";
import { innermost } from "./wrappers.js";
import { emptyWrites, outputTargets, recordWrites, type Writes } from "./writes.js";

/** What a command defines before it runs anything: variables, aliases, downloads, folders it changes into. */
export type Script = {
  ctx: WordContext;
  aliases: Map<string, string[]>;
  /** An installer named in an assigned value or alias: a command the gate cannot read may be that installer. */
  tainted: string | null;
  /** Files a network fetcher writes in this command. */
  fetched: Set<string>;
  /** Folders relative paths may be relative to (the exec's, and every `cd` target). */
  cwds: string[];
  writes: Writes;
};

export const walk = (node: Node, visit: (n: Node) => void): void => {
  visit(node);
  for (const c of node.namedChildren) walk(c, visit);
};

const setVar = (vars: Map<string, VarValue>, name: string, values: string[] | null): void => {
  const entry = vars.get(name) ?? { values: [], dynamic: false };
  if (values === null) entry.dynamic = true;
  else for (const v of values) if (!entry.values.includes(v)) entry.values.push(v);
  vars.set(name, entry);
};

const READS_INTO_VARIABLES = new Set(["read", "mapfile", "readarray", "getopts"]);

const pathOf = (f: Field, paths: PathContext): string => {
  const text = (f.known ? f.text : f.source).replace(/^~(?=\/|$)/, paths.home);
  return text.startsWith("/") ? text : `${paths.cwds[0] ?? paths.stateDir}/${text}`;
};

/** Files a download writes: curl -o/-O, wget -O or wget's default name (the URL's last segment). */
const recordDownload = (argv: Field[], fetched: Set<string>, command: Node, ctx: WordContext): void => {
  const [fetcher, ...args] = innermost(argv);
  const prog = fetcher?.known ? programName(fetcher.text) : "";
  if (!NETWORK_FETCHERS.has(prog)) return;
  // The grammar hangs a list's last redirect on a statement around the whole list (`a && curl x > f` nests).
  for (let cur: Node | null = command.parent; cur && cur.type !== "program"; cur = cur.parent) {
    if (cur.type !== "redirected_statement") continue;
    for (const target of outputTargets(cur.childrenForFieldName("redirect"), ctx)) fetched.add(target);
    break;
  }
  const out = optionValue(args, "-o", "--output", "-O", "--output-document");
  if (out?.known && !out.text.startsWith("-")) fetched.add(out.text);
  if (hasOption(args, "-O", "--remote-name") || (prog.startsWith("wget") && !out)) {
    for (const f of args) {
      if (f.known && /^[a-z]+:\/\//i.test(f.text))
        fetched.add(
          f.text
            .replace(/[?#].*$/, "")
            .split("/")
            .pop() ?? "",
        );
    }
  }
};

type State = {
  vars: Map<string, VarValue>;
  aliases: Map<string, string[]>;
  fetched: Set<string>;
  cwds: string[];
  writes: Writes;
};

/** `set -- a b c` (or `set a b`) sets $1, $2 … and "$@". */
const setPositional = (args: Field[], vars: Map<string, VarValue>): void => {
  const dash = args.findIndex((f) => f.known && f.text === "--");
  const values = dash >= 0 ? args.slice(dash + 1) : args[0]?.known && /^[-+]/.test(args[0].text) ? null : args;
  if (!values) return;
  values.forEach((f, i) => setVar(vars, String(i + 1), f.known ? [f.text] : null));
  const all = values.every((f) => f.known) ? [values.map((f) => f.text).join(" ")] : null;
  setVar(vars, "@", all);
  setVar(vars, "*", all);
};

const visitCommand = (n: Node, ctx: WordContext, state: State, paths: PathContext | undefined): boolean => {
  const argv = resolveArgv(commandWords(n), ctx)[0] ?? [];
  recordDownload(argv, state.fetched, n, ctx);
  recordWrites(n, argv, ctx, state.writes);
  const [head, ...args] = argv;
  if (!head?.known) return false;
  const prog = programName(head.text);
  if (prog === "set" && args.length > 0) {
    setPositional(args, state.vars);
    return true;
  }
  if (READS_INTO_VARIABLES.has(prog)) {
    for (const f of args) if (f.known && !f.text.startsWith("-")) setVar(state.vars, f.text, null);
  } else if (prog === "printf") {
    const target = optionValue(args, "-v");
    if (target?.known) setVar(state.vars, target.text, null);
  } else if (prog === "alias") {
    for (const f of args) {
      const eq = f.known ? f.text.indexOf("=") : -1;
      if (eq > 0) {
        const name = f.text.slice(0, eq);
        state.aliases.set(name, [...(state.aliases.get(name) ?? []), f.text.slice(eq + 1)]);
      }
    }
  } else if ((prog === "cd" || prog === "pushd") && paths) {
    const target = args.find((f) => !(f.known && f.text.startsWith("-")));
    if (target) state.cwds.push(pathOf(target, paths));
  }
  return false;
};

/** `declare -n r=p` makes r a name for p: its value is whatever p holds, which the gate does not follow. */
const isNameref = (assignment: Node): boolean =>
  assignment.parent?.type === "declaration_command" &&
  assignment.parent.children.some((c) => c.type === "word" && /^-[a-zA-Z]*n/.test(c.text));

/** The first pass over a parsed command (twice, so `a=pip; b=$a` resolves b). */
export const collectScript = (
  root: Node,
  inherited: ReadonlyMap<string, VarValue>,
  paths: PathContext | undefined,
): Script => {
  const state: State = {
    vars: new Map(inherited),
    aliases: new Map<string, string[]>(),
    fetched: new Set<string>(),
    cwds: [...(paths?.cwds ?? [])],
    writes: emptyWrites(),
  };
  let splitChars = DEFAULT_IFS;
  /** One walk over the tree; true when it saw an assignment. */
  const pass = (): boolean => {
    let assigned = false;
    const ctx: WordContext = { vars: state.vars, splitChars };
    walk(root, (n) => {
      if (n.type === "variable_assignment") {
        const name = n.childForFieldName("name")?.text;
        if (!name) return;
        assigned = true;
        const value = n.childForFieldName("value");
        const unknown = n.children.some((c) => c.type === "+=") || isNameref(n);
        const values = unknown ? null : value ? resolveString(value, ctx) : [""];
        setVar(state.vars, name, values);
        if (name === "IFS" && values)
          for (const v of values) for (const c of v) if (!splitChars.includes(c)) splitChars += c;
      } else if (n.type === "for_statement") {
        const name = n.childForFieldName("variable")?.text;
        if (!name) return;
        assigned = true;
        const values = n.childrenForFieldName("value");
        if (values.length === 0) return setVar(state.vars, name, null);
        for (const v of values)
          for (const reading of resolveWord(v, ctx))
            for (const f of reading) setVar(state.vars, name, f.known ? [f.text] : null);
      } else if (n.type === "command") {
        if (visitCommand(n, ctx, state, paths)) assigned = true;
      }
    });
    return assigned;
  };
  // A second pass only after assignments: `a=pip; b=$a` needs a's value to read b's.
  if (pass()) {
    state.writes = emptyWrites();
    state.fetched.clear();
    state.aliases.clear();
    state.cwds = [...(paths?.cwds ?? [])];
    pass();
  }
  let tainted: string | null = null;
  for (const [, v] of state.vars) for (const value of v.values) tainted ??= mentionedInstaller(value);
  for (const [, values] of state.aliases) for (const value of values) tainted ??= mentionedInstaller(value);
  return {
    ctx: { vars: state.vars, splitChars },
    aliases: state.aliases,
    tainted,
    fetched: state.fetched,
    cwds: state.cwds,
    writes: state.writes,
  };
};
