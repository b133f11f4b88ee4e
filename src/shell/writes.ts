import { mentionedInstaller, programName } from "./names.js";
import type { Node } from "./parser.js";
import type { Field } from "./types.js";
import { decodeAnsiC, resolveString, type WordContext } from "./words.js";
import { innermost } from "./wrappers.js";

/** Files a command writes and runs itself: what it writes there, and installers it copies under another name. */
export type Writes = {
  /** File (as written, without a leading ./) -> the text echo, printf or a here-document put there. */
  files: Map<string, string[]>;
  /** A program name -> the installer it is a copy or link of (`cp $(which pip) tool`). */
  renamed: Map<string, string>;
};

export const emptyWrites = (): Writes => ({ files: new Map(), renamed: new Map() });

/** `./x.sh`, `x.sh` and `$PWD`-less relative spellings of one file compare equal. */
export const fileKey = (path: string): string => path.replace(/^(\.\/)+/, "");

/** The statement a command's redirects hang on (the grammar nests a list's last redirect around the list). */
const enclosingRedirects = (command: Node): Node[] => {
  for (let cur: Node | null = command.parent; cur && cur.type !== "program"; cur = cur.parent)
    if (cur.type === "redirected_statement") return cur.childrenForFieldName("redirect");
  return command.childrenForFieldName("redirect");
};

/** `>` / `>>` targets among redirects. */
export const outputTargets = (redirects: Node[], ctx: WordContext): string[] => {
  const out: string[] = [];
  for (const r of redirects) {
    const dest = r.childForFieldName("destination");
    if (r.type === "file_redirect" && dest && r.children.some((c) => c.type === ">" || c.type === ">>"))
      out.push(...(resolveString(dest, ctx) ?? []));
  }
  return out;
};

const textOf = (f: Field): string => (f.known ? f.text : f.source);

/** What echo, printf or cat (with a here-document or here-string) writes to its output. */
const printed = (prog: string, args: Field[], redirects: Node[], ctx: WordContext): string | null => {
  if (prog === "echo")
    return args
      .filter((f) => !(f.known && /^-[neE]+$/.test(f.text)))
      .map(textOf)
      .join(" ");
  if (prog === "printf") {
    const format = args.find((f) => !(f.known && f.text.startsWith("-")));
    return format ? decodeAnsiC(textOf(format)) : null;
  }
  if (prog === "cat" && args.length === 0) {
    const bodies = redirects.flatMap((r) => {
      if (r.type === "heredoc_redirect")
        return r.namedChildren.filter((c) => c.type === "heredoc_body").map((c) => c.text);
      if (r.type === "herestring_redirect" && r.namedChildren[0])
        return resolveString(r.namedChildren[0], ctx) ?? [r.text];
      return [];
    });
    return bodies.length > 0 ? bodies.join("\n") : null;
  }
  return null;
};

const COPIERS = new Set(["cp", "ln", "mv", "install", "rsync"]);

/** Records what one command writes (see Writes). */
export const recordWrites = (command: Node, argv: Field[], ctx: WordContext, writes: Writes): void => {
  // `sudo echo … > f` and `sudo cp …`: the wrapped program writes; the shell does the redirect either way.
  const [head, ...args] = innermost(argv);
  if (!head?.known) return;
  const prog = programName(head.text);
  if (COPIERS.has(prog)) {
    const operands = args.filter((f) => !(f.known && f.text.startsWith("-")));
    const dest = operands.at(-1);
    const named = operands
      .slice(0, -1)
      .map((f) => mentionedInstaller(textOf(f)))
      .find((m) => m !== null);
    if (dest && named) writes.renamed.set(programName(textOf(dest)), named.toLowerCase());
    return;
  }
  const redirects = enclosingRedirects(command);
  const text = printed(prog, args, redirects, ctx);
  if (text === null) return;
  for (const target of outputTargets(redirects, ctx)) {
    const key = fileKey(target);
    writes.files.set(key, [...(writes.files.get(key) ?? []), text]);
  }
};
