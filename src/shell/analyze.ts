import { analyzeArgv } from "./command.js";
import { mentionedInstaller } from "./names.js";
import { loadShellParser, MAX_SOURCE_CHARS, parseLoaded, type Node } from "./parser.js";
import { touchesProtected } from "./paths.js";
import { codeVariable } from "./runners.js";
import { excerpt, report, show, type Run, type Scope } from "./scope.js";
import { collectScript, walk, type Script } from "./script.js";
import { commandWords, stdinOf, type StdinInfo } from "./stdin.js";
import type { AnalyzeOptions, Analysis, Field } from "./types.js";
import { resolveArgv, resolveWord, type VarValue } from "./words.js";

/** Shell strings inside shell strings (`bash -c "sh -c '…'"`) are read this deep, then refused. */
export const MAX_DEPTH = 4;

export type ExecEnv = Readonly<Record<string, string>>;

const positionalVars = (vars: Map<string, VarValue>, positional: Field[]): void => {
  positional.forEach((f, i) =>
    vars.set(String(i), f.known ? { values: [f.text], dynamic: false } : { values: [], dynamic: true }),
  );
  const rest = positional.slice(1);
  const all = rest.every((f) => f.known)
    ? { values: [rest.map((f) => f.text).join(" ")], dynamic: false }
    : { values: [], dynamic: true };
  vars.set("@", all);
  vars.set("*", all);
};

const scopeFor = (node: Node, script: Script, run: Run, depth: number): Scope => {
  let stdin: StdinInfo | undefined;
  const scope: Scope = {
    run,
    script,
    node,
    depth,
    stdin: () => (stdin ??= stdinOf(node, script.ctx, script.fetched)),
    argv: (argv, hops) => analyzeArgv(argv, scope, hops),
    nested: (source, label, positional = []) => {
      const vars = new Map(script.ctx.vars);
      if (positional.length > 0) positionalVars(vars, positional);
      if (depth + 1 > MAX_DEPTH) {
        const named = mentionedInstaller(source);
        if (named)
          report(scope, {
            kind: "opaque",
            family: "nesting",
            reason: `${label} nests shell code more than ${MAX_DEPTH} levels deep around '${named}'`,
          });
        return;
      }
      analyzeSource(source, run, depth + 1, vars, script.aliases);
    },
  };
  return scope;
};

const analyzeCommandNode = (node: Node, script: Script, run: Run, depth: number): void => {
  const words = commandWords(node);
  if (words.length === 0) return;
  const scope = scopeFor(node, script, run, depth);
  // `BASH_ENV=<(…) bash -c true`: variables set for this one command that make it run code.
  for (const assignment of node.namedChildren.filter((c) => c.type === "variable_assignment")) {
    const name = assignment.childForFieldName("name")?.text;
    const value = assignment.childForFieldName("value");
    if (name && value)
      for (const reading of resolveWord(value, script.ctx)) for (const f of reading) codeVariable(name, f, scope);
  }
  for (const argv of resolveArgv(words, script.ctx)) analyzeArgv(argv, scope);
};

const WRITE_OPERATORS = new Set([">", ">>", ">|", "&>", "&>>", ">&", "&>|"]);

const checkRedirect = (node: Node, script: Script, run: Run, depth: number): void => {
  if (!run.paths) return;
  const writes = node.children.some((c) => WRITE_OPERATORS.has(c.type) || c.type === "ERROR");
  const dest = node.childForFieldName("destination");
  if (!writes || !dest || dest.type === "number") return;
  for (const reading of resolveWord(dest, script.ctx)) {
    for (const f of reading) {
      if (!touchesProtected(f, run.paths, script.cwds)) continue;
      const scope = scopeFor(node.parent ?? node, script, run, depth);
      return report(scope, {
        kind: "protected",
        family: "state-write",
        reason: `the redirection writes to '${show(f)}', which belongs to package-guard`,
      });
    }
  }
};

const analyzeSource = (
  source: string,
  run: Run,
  depth: number,
  inherited: Map<string, VarValue>,
  aliases: Map<string, string[]> = new Map(),
): void => {
  const tooLong = source.length > MAX_SOURCE_CHARS;
  const tree = tooLong ? null : parseLoaded(source);
  const fallback = (why: string): void => {
    const named = mentionedInstaller(source);
    if (named)
      run.findings.push({
        kind: "opaque",
        family: "unparsed",
        command: excerpt(source),
        reason: `the command ${why} and names '${named}'`,
      });
  };
  if (!tree) return fallback(tooLong ? `is longer than ${MAX_SOURCE_CHARS} characters` : "took too long to read");
  try {
    const root = tree.rootNode;
    if (root.hasError) {
      run.parseError = true;
      fallback("could not be fully parsed as a shell command");
    }
    const script = collectScript(root, inherited, run.paths);
    for (const [k, v] of aliases) if (!script.aliases.has(k)) script.aliases.set(k, v);
    walk(root, (node) => {
      if (node.type === "command") analyzeCommandNode(node, script, run, depth);
      else if (node.type === "file_redirect") checkRedirect(node, script, run, depth);
    });
  } finally {
    tree.delete();
  }
};

/**
 * Every install, opaque construct, guard control and protected write in one shell command. Synchronous: the
 * grammar must be loaded (loadShellParser) first.
 */
export const analyzeLoaded = (source: string, options: AnalyzeOptions & { env?: ExecEnv } = {}): Analysis => {
  const run: Run = { paths: options.paths, findings: [], seen: new Set(), parseError: false };
  const vars = new Map<string, VarValue>();
  for (const [k, v] of Object.entries(options.env ?? {})) vars.set(k, { values: [v], dynamic: false });
  analyzeSource(source, run, 0, vars);
  return { findings: run.findings, parseError: run.parseError };
};

/** analyzeLoaded, loading the grammar first if needed. */
export const analyzeShell = async (
  source: string,
  options: AnalyzeOptions & { env?: ExecEnv } = {},
): Promise<Analysis> => {
  await loadShellParser();
  return analyzeLoaded(source, options);
};
