import { programName, NETWORK_FETCHERS, TRANSFORMERS } from "./names.js";
import type { Node } from "./parser.js";
import type { Field } from "./types.js";
import { decodeAnsiC, resolveArgv, resolveString, type WordContext } from "./words.js";
import { WRAPPERS } from "./wrappers.js";

/** Where a command's standard input comes from, as far as it matters when that input is run as code. */
export type StdinInfo = {
  /** Literal text that arrives: here-documents, here-strings, echo/printf output. */
  texts: string[];
  /** A program that fetches from the network feeds it. */
  network: string | null;
  /** A decoder or rewriter feeds it. */
  transform: string | null;
  /** Some other program feeds it (its output cannot be read here). */
  program: string | null;
};

const empty = (): StdinInfo => ({ texts: [], network: null, transform: null, program: null });

// Walking up from a command stops here: above these, standard input is no longer the command's own.
const BOUNDARIES = new Set(["program", "command_substitution", "process_substitution", "function_definition"]);

/** Commands inside a node (the node itself if it is one). */
export const commandsIn = (node: Node): Node[] => {
  const out: Node[] = [];
  const visit = (n: Node): void => {
    if (n.type === "command") out.push(n);
    for (const c of n.namedChildren) visit(c);
  };
  visit(node);
  return out;
};

/** A command's words: its name and arguments (assignments and redirects are not words). */
export const commandWords = (command: Node): Node[] => {
  const name = command.childForFieldName("name");
  if (!name) return [];
  return [name.namedChildren[0] ?? name, ...command.childrenForFieldName("argument")];
};

const argvOf = (command: Node, ctx: WordContext): Field[] => resolveArgv(commandWords(command), ctx)[0] ?? [];

/** Classifies a command whose output is read, following wrappers (`sudo curl …`). */
const classifyProducer = (argv: Field[], info: StdinInfo, depth = 0): void => {
  const [name, ...args] = argv;
  if (!name) return;
  if (!name.known) {
    info.program ??= name.source;
    return;
  }
  const prog = programName(name.text);
  const wrap = WRAPPERS.get(prog);
  if (wrap && depth < 8) {
    const inner = wrap(args);
    if (inner && "argv" in inner) return classifyProducer(inner.argv, info, depth + 1);
  }
  if (NETWORK_FETCHERS.has(prog)) info.network ??= prog;
  else if (TRANSFORMERS.has(prog)) info.transform ??= prog;
  else if (prog === "echo") {
    const escapes = args.some((f) => f.known && /^-[neE]*e[neE]*$/.test(f.text));
    const words = args.filter((f) => !(f.known && /^-[neE]+$/.test(f.text)));
    const text = words.map((f) => (f.known ? f.text : f.source)).join(" ");
    if (escapes && text.includes("\\")) info.transform ??= "echo -e";
    else info.texts.push(text);
  } else if (prog === "printf") {
    const format = args.find((f) => !(f.known && f.text.startsWith("-")));
    if (format?.known && !format.text.includes("%")) info.texts.push(decodeAnsiC(format.text));
    else info.transform ??= "printf";
  } else if (prog === "cat" || prog === "tee" || prog === "true" || prog === ":") {
    // Files cat reads are as unseen as a script file given to the shell; its here-document is read separately.
  } else info.program ??= prog;
};

const redirectInput = (redirect: Node, ctx: WordContext, info: StdinInfo, fetched: ReadonlySet<string>): void => {
  if (redirect.type === "herestring_redirect") {
    const body = redirect.namedChildren[0];
    if (!body) return;
    const values = resolveString(body, ctx);
    if (values) info.texts.push(...values);
    else {
      info.texts.push(body.text);
      for (const c of commandsIn(body)) classifyProducer(argvOf(c, ctx), info);
    }
  } else if (redirect.type === "heredoc_redirect") {
    const body = redirect.namedChildren.find((c) => c.type === "heredoc_body");
    if (!body) return;
    info.texts.push(body.text);
    for (const c of commandsIn(body)) classifyProducer(argvOf(c, ctx), info);
  } else if (redirect.type === "file_redirect" && redirect.children.some((c) => c.type === "<")) {
    const dest = redirect.childForFieldName("destination");
    if (!dest) return;
    if (dest.type === "process_substitution") {
      for (const c of commandsIn(dest)) classifyProducer(argvOf(c, ctx), info);
      return;
    }
    const path = resolveString(dest, ctx)?.[0] ?? dest.text;
    if (/^\/dev\/(tcp|udp)\//.test(path)) info.network ??= path;
    else if (fetched.has(path)) info.network ??= `a file downloaded in this command (${path})`;
  }
};

const redirectsOf = (node: Node): Node[] =>
  node.type === "command" || node.type === "redirected_statement" ? node.childrenForFieldName("redirect") : [];

/** What flows into `command`'s standard input: its redirects, enclosing redirects and earlier pipeline stages. */
export const stdinOf = (command: Node, ctx: WordContext, fetched: ReadonlySet<string>): StdinInfo => {
  const info = empty();
  const producers: Node[] = [];
  let child: Node | null = null;
  for (let cur: Node | null = command; cur && !BOUNDARIES.has(cur.type); child = cur, cur = cur.parent) {
    for (const r of redirectsOf(cur)) {
      if (
        cur.type === "redirected_statement" &&
        child &&
        child.id !== cur.childForFieldName("body")?.id &&
        cur !== command
      )
        continue;
      redirectInput(r, ctx, info, fetched);
    }
    if (cur.type === "pipeline" && child) {
      for (const stage of cur.namedChildren) {
        if (stage.id === child.id) break;
        producers.push(stage);
      }
    }
    if (cur.type === "heredoc_redirect") {
      // `cat <<EOF | sh`: the pipeline after the here-document's start reads what the statement's body writes.
      const statement: Node | null = cur.parent;
      const body = statement?.childForFieldName("body");
      if (body) producers.push(body);
      redirectInput(cur, ctx, info, fetched);
      cur = statement;
      if (!cur) break;
    }
  }
  for (const stage of producers) {
    for (const c of commandsIn(stage)) {
      classifyProducer(argvOf(c, ctx), info);
      for (const r of redirectsOf(c)) redirectInput(r, ctx, info, fetched);
    }
    for (const r of redirectsOf(stage)) redirectInput(r, ctx, info, fetched);
  }
  return info;
};

/** What the commands inside a substitution print, when that output is run as code. */
export const substitutionOutput = (node: Node, ctx: WordContext, fetched: ReadonlySet<string>): StdinInfo => {
  const info = empty();
  for (const c of commandsIn(node)) {
    classifyProducer(argvOf(c, ctx), info);
    for (const r of redirectsOf(c)) redirectInput(r, ctx, info, fetched);
  }
  return info;
};
