import { guardCliVerdict, openclawVerdict, type ControlVerdict } from "./controls.js";
import { FAMILY_NAMES, familyAnalyzer, pipVerdict, type FamilyVerdict } from "./families.js";
import {
  INTERPRETERS,
  PYTHON,
  inlineInvocation,
  isShell,
  pythonInvocation,
  shellInvocation,
  type Invocation,
} from "./interpreters.js";
import { mentionedInstaller, NETWORK_FETCHERS, programName, TRANSFORMERS } from "./names.js";
import { hasOption } from "./options.js";
import { loadShellParser, MAX_SOURCE_CHARS, parseLoaded, type Node } from "./parser.js";
import { FIND_WRITES, READ_ONLY_PROGRAMS, touchesProtected } from "./paths.js";
import { collectScript, walk, type Script } from "./script.js";
import { commandsIn, commandWords, stdinOf, substitutionOutput, type StdinInfo } from "./stdin.js";
import type { AnalyzeOptions, Analysis, Field, Finding, PathContext } from "./types.js";
import { globRegExp, resolveArgv, resolveWord, type VarValue } from "./words.js";
import { fdCommands, findCommands, isFind, WRAPPERS } from "./wrappers.js";

/** Shell strings inside shell strings (`bash -c "sh -c '…'"`) are read this deep, then refused. */
export const MAX_DEPTH = 4;
const MAX_HOPS = 12;
const EXCERPT = 200;

// Words that, after a program the gate cannot name, make an install likely (`$p install x`, `$(which npm) i x`).
const INSTALL_WORDS = new Set([
  "install",
  "i",
  "add",
  "ci",
  "sync",
  "dlx",
  "x",
  "exec",
  "run",
  "download",
  "wheel",
  "inject",
  "create",
  "update",
  "upgrade",
  "up",
  "pip",
  "ensurepip",
  "-m",
]);

// Programs a glob in command position must not be able to reach.
const GUARDED_NAMES = [
  ...FAMILY_NAMES,
  "python",
  "python3",
  "node",
  "bash",
  "sh",
  "sudo",
  "env",
  "openclaw",
  "package-guard",
  "eval",
  "xargs",
];

/** Scripts that are installers (or our own CLIs) when an interpreter runs them: name without extension -> program. */
const SCRIPT_PROGRAMS: ReadonlyMap<string, string> = new Map([
  ["pip", "pip"],
  ["pip3", "pip"],
  ["npm-cli", "npm"],
  ["npx-cli", "npx"],
  ["pnpm", "pnpm"],
  ["pnpx", "pnpx"],
  ["yarn", "yarn"],
  ["pipx", "pipx"],
  ["poetry", "poetry"],
  ["corepack", "corepack"],
  ["package-guard", "package-guard"],
  ["openclaw", "openclaw"],
  ["uv", "uv"],
]);

// Python modules that are installers: `python -m <module>` is that program.
const PYTHON_MODULES = new Set([
  "pip",
  "pipx",
  "uv",
  "poetry",
  "pdm",
  "hatch",
  "conda",
  "pipenv",
  "easy_install",
  "pixi",
]);

export type ExecEnv = Readonly<Record<string, string>>;

type Run = {
  paths: PathContext | undefined;
  findings: Finding[];
  seen: Set<string>;
  parseError: boolean;
};

type Scope = {
  run: Run;
  script: Script;
  node: Node;
  depth: number;
  stdin: () => StdinInfo;
};

const excerpt = (text: string): string => (text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text);
const show = (f: Field | undefined): string => (f ? (f.known ? f.text : f.source) : "");

const report = (scope: Scope, finding: Omit<Finding, "command">): void => {
  const full: Finding = { ...finding, command: excerpt(scope.node.text) };
  const key = `${full.kind}\u0000${full.family}\u0000${full.command}\u0000${full.reason}`;
  if (scope.run.seen.has(key)) return;
  scope.run.seen.add(key);
  scope.run.findings.push(full);
};

const reportVerdict = (scope: Scope, verdict: FamilyVerdict, hops: number): void => {
  if (!verdict) return;
  if ("inner" in verdict) analyzeArgv(verdict.inner, scope, hops + 1);
  else
    report(scope, {
      kind: "install",
      family: verdict.family,
      reason: verdict.reason,
      ...(verdict.packages ? { packages: verdict.packages } : {}),
    });
};

const reportControl = (scope: Scope, verdict: ControlVerdict): void => {
  if (verdict) report(scope, { kind: "guard", family: verdict.family, reason: verdict.reason });
};

// --- the parts of a command line that run code --------------------------------------------------------------

/** Code the gate cannot read (a variable, a substitution): refused when its source or a feeder says "installer". */
const dynamicCode = (field: Field, scope: Scope, label: string): void => {
  if (field.node) {
    const fed = substitutionOutput(field.node, scope.script.ctx, scope.script.fetched);
    if (fed.network)
      return void report(scope, {
        kind: "opaque",
        family: "network-code",
        reason: `${label} runs what ${fed.network} downloads; the gate cannot see what that installs`,
      });
    if (fed.transform)
      return void report(scope, {
        kind: "opaque",
        family: "decoded-code",
        reason: `${label} runs what ${fed.transform} decodes; the gate cannot see what that runs`,
      });
    for (const text of fed.texts) nested(scope, text, `${label}`);
  }
  const named = mentionedInstaller(field.source) ?? scope.script.tainted;
  if (named)
    report(scope, {
      kind: "opaque",
      family: "dynamic-code",
      reason: `${label} runs code decided at run time that involves '${named}'; the gate cannot check it`,
    });
};

/** Code given on the command line to an interpreter (python -c, node -e, awk '…'). */
const inlineCode = (code: Field, scope: Scope, label: string): void => {
  if (!code.known) return dynamicCode(code, scope, label);
  const named = mentionedInstaller(code.text);
  if (named)
    report(scope, {
      kind: "opaque",
      family: "inline-code",
      reason: `${label} code names '${named}': code that may start an installer cannot be checked here`,
    });
  if (scope.run.paths && /package-guard|openclaw\.json/i.test(code.text))
    report(scope, { kind: "protected", family: "inline-code", reason: `${label} code names package-guard's files` });
};

/** Standard input run as code (`curl … | sh`, `python3 <<EOF`). */
const stdinCode = (scope: Scope, label: string, shell: boolean): void => {
  const input = scope.stdin();
  if (input.network)
    return void report(scope, {
      kind: "opaque",
      family: "network-code",
      reason: `${label} runs what ${input.network} downloads; the gate cannot see what that installs`,
    });
  if (input.transform)
    return void report(scope, {
      kind: "opaque",
      family: "decoded-code",
      reason: `${label} runs what ${input.transform} produces; the gate cannot see what that runs`,
    });
  if (input.program)
    return void report(scope, {
      kind: "opaque",
      family: "piped-code",
      reason: `${label} runs the output of ${input.program} as code; the gate cannot see what that runs`,
    });
  for (const text of input.texts) {
    if (shell) nested(scope, text, label);
    else {
      const named = mentionedInstaller(text);
      if (named)
        report(scope, {
          kind: "opaque",
          family: "inline-code",
          reason: `${label} reads code that names '${named}' from its input`,
        });
    }
  }
};

/** A file (or process substitution) an interpreter runs. */
const scriptFile = (script: Field, args: Field[], scope: Scope, label: string, hops: number, shell: boolean): void => {
  if (script.node?.type === "process_substitution") {
    const fed = substitutionOutput(script.node, scope.script.ctx, scope.script.fetched);
    if (fed.network)
      return void report(scope, {
        kind: "opaque",
        family: "network-code",
        reason: `${label} runs what ${fed.network} downloads`,
      });
    if (fed.transform)
      return void report(scope, {
        kind: "opaque",
        family: "decoded-code",
        reason: `${label} runs what ${fed.transform} produces`,
      });
    for (const text of fed.texts) {
      if (shell) nested(scope, text, label);
      else if (mentionedInstaller(text))
        report(scope, { kind: "opaque", family: "inline-code", reason: `${label} runs code that names an installer` });
    }
    return;
  }
  if (!script.known) return;
  if (scope.script.fetched.has(script.text) || scope.script.fetched.has(programName(script.text)))
    return void report(scope, {
      kind: "opaque",
      family: "network-code",
      reason: `${label} runs ${script.text}, downloaded in the same command`,
    });
  const base = programName(script.text);
  if (base === "setup.py") return reportVerdict(scope, familyAnalyzer("setup.py")!(args, "setup.py"), hops);
  if (/^get-pip(\.pyz?)?$/.test(base))
    return void report(scope, {
      kind: "install",
      family: "pip",
      reason: "get-pip.py installs pip (and packages named after it)",
    });
  const stem = base.replace(/\.(py|pyz|pyw|js|cjs|mjs)$/, "");
  const program =
    SCRIPT_PROGRAMS.get(stem) ??
    (/(^|\/)pip(\/(__main__\.py)?)?$/.test(script.text) ? "pip" : undefined) ??
    (/openclaw-package-guard\/(dist\/cli\/main|bin\/package-guard)\.m?js$/.test(script.text)
      ? "package-guard"
      : undefined);
  if (program) analyzeArgv([{ ...script, text: program }, ...args], scope, hops + 1);
};

const runInvocation = (inv: Invocation, scope: Scope, label: string, shell: boolean, hops: number): void => {
  switch (inv.kind) {
    case "code":
      if (shell) {
        if (inv.code.known) nested(scope, inv.code.text, label, inv.args);
        else dynamicCode(inv.code, scope, label);
      } else inlineCode(inv.code, scope, label);
      return;
    case "script":
      return scriptFile(inv.script, inv.args, scope, label, hops, shell);
    case "stdin":
      return stdinCode(scope, label, shell);
    case "unknown": {
      const named = mentionedInstaller(inv.at.source) ?? scope.script.tainted;
      const verb = inv.args.find((f) => f.known && (INSTALL_WORDS.has(f.text) || PYTHON_MODULES.has(f.text)));
      if (named || verb)
        report(scope, {
          kind: "opaque",
          family: "dynamic-option",
          reason: `${label} gets '${inv.at.source}', which the gate cannot read, before '${show(verb) || named}'`,
        });
      return;
    }
    case "module":
      return pythonModule(inv.module, inv.args, scope, label, hops);
  }
};

const pythonModule = (module: Field, args: Field[], scope: Scope, label: string, hops: number): void => {
  if (!module.known) {
    const verb = args.find((f) => f.known && INSTALL_WORDS.has(f.text));
    const named = mentionedInstaller(module.source) ?? scope.script.tainted;
    if (verb || named)
      report(scope, {
        kind: "opaque",
        family: "dynamic-module",
        reason: `${label} -m ${module.source} runs a module the gate cannot read`,
      });
    return;
  }
  const root = module.text.split(".")[0]!.toLowerCase();
  const as = `${label} -m ${root}`;
  if (root === "pip") return reportVerdict(scope, pipVerdict(args, "pip", as), hops);
  if (root === "ensurepip")
    return void report(scope, {
      kind: "install",
      family: "pip",
      reason: `\`${as}\` installs pip into the interpreter`,
    });
  if (root === "venv" && hasOption(args, "--upgrade-deps"))
    return void report(scope, {
      kind: "install",
      family: "pip",
      reason: `\`${as} --upgrade-deps\` installs pip from the index`,
    });
  if (root === "virtualenv" && hasOption(args, "--download"))
    return void report(scope, {
      kind: "install",
      family: "pip",
      reason: `\`${as} --download\` installs packages from the index`,
    });
  if (root === "build" && !hasOption(args, "--no-isolation", "-n"))
    return void report(scope, {
      kind: "install",
      family: "pip",
      reason: `\`${as}\` installs build dependencies from the index`,
    });
  if (PYTHON_MODULES.has(root)) return reportVerdict(scope, familyAnalyzer(root)?.(args, as) ?? null, hops);
};

// --- one command line -----------------------------------------------------------------------------------------

const dynamicCommand = (name: Field, args: Field[], scope: Scope): void => {
  if (name.node) {
    const fed = substitutionOutput(name.node, scope.script.ctx, scope.script.fetched);
    if (fed.network || fed.transform)
      return void report(scope, {
        kind: "opaque",
        family: "dynamic-command",
        reason: `the program \`${name.source}\` comes from ${fed.network ?? fed.transform}`,
      });
  }
  const named = mentionedInstaller(name.source) ?? scope.script.tainted;
  const verb = args.find((f) => f.known && INSTALL_WORDS.has(f.text));
  const unknownArg = args.find((f) => !f.known);
  if (named || verb || unknownArg) {
    const why = named
      ? `and may be '${named}'`
      : verb
        ? `and is given '${verb.text}'`
        : `with arguments the gate cannot read either`;
    report(scope, {
      kind: "opaque",
      family: "dynamic-command",
      reason: `the program \`${name.source}\` is decided at run time ${why}; write the program's name`,
    });
  }
};

const checkArgPaths = (prog: string, args: Field[], scope: Scope): void => {
  const paths = scope.run.paths;
  if (!paths) return;
  const readOnly =
    READ_ONLY_PROGRAMS.has(prog) || (isFind(prog) && !args.some((f) => f.known && FIND_WRITES.has(f.text)));
  if (readOnly) return;
  const hit = args.find((f) => touchesProtected(f, paths, scope.script.cwds));
  if (hit)
    report(scope, {
      kind: "protected",
      family: "state-write",
      reason: `\`${prog}\` may change '${show(hit)}', which belongs to package-guard`,
    });
};

const shellQuote = (f: Field): string => (f.known ? `'${f.text.replace(/'/g, `'\\''`)}'` : f.source);

export const analyzeArgv = (argv: Field[], scope: Scope, hops = 0): void => {
  const [name, ...args] = argv;
  if (!name) return;
  if (hops > MAX_HOPS)
    return void report(scope, {
      kind: "opaque",
      family: "wrappers",
      reason: "too many wrapper commands in a row to follow",
    });
  if (!name.known) return dynamicCommand(name, args, scope);
  const prog = programName(name.text);
  if (name.glob) {
    const re = globRegExp(prog);
    const hit = GUARDED_NAMES.find((n) => re.test(n));
    if (hit)
      report(scope, {
        kind: "opaque",
        family: "glob-command",
        reason: `the program \`${name.text}\` is a pattern that can match '${hit}'`,
      });
    return;
  }
  const alias = scope.script.aliases.get(name.text);
  if (alias && hops < 4) {
    for (const value of alias) nested(scope, `${value} ${args.map(shellQuote).join(" ")}`, `alias ${name.text}`);
    return;
  }
  if (prog === "package-guard") return reportControl(scope, guardCliVerdict(args, "package-guard"));
  if (prog === "openclaw") return reportControl(scope, openclawVerdict(args));
  const wrap = WRAPPERS.get(prog);
  const inner = wrap?.(args);
  // A wrapper's command is checked for the files it writes on its own (`sudo cat <guard file>` only reads).
  if (!inner || !("argv" in inner)) checkArgPaths(prog, args, scope);
  if (inner) {
    if ("argv" in inner) return analyzeArgv(inner.argv, scope, hops + 1);
    const text = [inner.script, ...(inner.extra ?? [])];
    if (text.every((f) => f.known)) return nested(scope, text.map((f) => f.text).join(" "), prog);
    return dynamicCode(inner.script, scope, prog);
  }
  if (isFind(prog)) {
    for (const cmd of prog.startsWith("fd") ? fdCommands(args) : findCommands(args)) analyzeArgv(cmd, scope, hops + 1);
    return;
  }
  if (isShell(prog)) return runInvocation(shellInvocation(args), scope, prog, true, hops);
  if (PYTHON.test(prog)) return runInvocation(pythonInvocation(args), scope, prog, false, hops);
  const spec = INTERPRETERS.get(prog);
  if (spec) return runInvocation(inlineInvocation(spec, args), scope, prog, false, hops);
  if (prog === "eval") {
    if (args.every((f) => f.known)) return nested(scope, args.map((f) => f.text).join(" "), "eval");
    for (const f of args) if (!f.known) dynamicCode(f, scope, "eval");
    const named = mentionedInstaller(args.map(show).join(" "));
    if (named) report(scope, { kind: "opaque", family: "eval", reason: `eval runs code that names '${named}'` });
    return;
  }
  if (prog === "source" || prog === ".") {
    const target = args[0];
    if (!target) return;
    if (target.known && ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0", "-"].includes(target.text))
      return stdinCode(scope, prog, true);
    if (!target.known && target.node?.type !== "process_substitution") return dynamicCode(target, scope, prog);
    return scriptFile(target, args.slice(1), scope, "source", hops, true);
  }
  const family = familyAnalyzer(prog);
  if (family) return reportVerdict(scope, family(args, prog), hops);
  if (NETWORK_FETCHERS.has(prog) || TRANSFORMERS.has(prog)) return;
};

// --- a whole command text ------------------------------------------------------------------------------------

const nested = (scope: Scope, source: string, label: string, positional: Field[] = []): void => {
  const vars = new Map(scope.script.ctx.vars);
  if (positional.length > 0) {
    positional.forEach((f, i) =>
      vars.set(String(i), f.known ? { values: [f.text], dynamic: false } : { values: [], dynamic: true }),
    );
    const rest = positional.slice(1);
    const all = rest.every((f) => f.known)
      ? { values: [rest.map((f) => f.text).join(" ")], dynamic: false }
      : { values: [], dynamic: true };
    vars.set("@", all);
    vars.set("*", all);
  }
  if (scope.depth + 1 > MAX_DEPTH) {
    const named = mentionedInstaller(source);
    if (named)
      report(scope, {
        kind: "opaque",
        family: "nesting",
        reason: `${label} nests shell code more than ${MAX_DEPTH} levels deep around '${named}'`,
      });
    return;
  }
  analyzeSource(source, scope.run, scope.depth + 1, vars, scope.script.aliases);
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
    if (!named) return;
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

const scopeFor = (node: Node, script: Script, run: Run, depth: number): Scope => {
  let stdin: StdinInfo | undefined;
  return { run, script, node, depth, stdin: () => (stdin ??= stdinOf(node, script.ctx, script.fetched)) };
};

const analyzeCommandNode = (node: Node, script: Script, run: Run, depth: number): void => {
  const words = commandWords(node);
  if (words.length === 0) return;
  const scope = scopeFor(node, script, run, depth);
  for (const argv of resolveArgv(words, script.ctx)) analyzeArgv(argv, scope);
};

const WRITE_OPERATORS = new Set([">", ">>", ">|", "&>", "&>>", ">&", "&>|"]);

const checkRedirect = (node: Node, script: Script, run: Run, depth: number): void => {
  if (!run.paths) return;
  const writes =
    node.children.some((c) => WRITE_OPERATORS.has(c.type)) || node.children.some((c) => c.type === "ERROR");
  const dest = node.childForFieldName("destination");
  if (!writes || !dest || dest.type === "number") return;
  const scope = scopeFor(node.parent ?? node, script, run, depth);
  for (const reading of resolveWord(dest, script.ctx)) {
    for (const f of reading) {
      if (touchesProtected(f, run.paths, script.cwds))
        return void report(scope, {
          kind: "protected",
          family: "state-write",
          reason: `the redirection writes to '${show(f)}', which belongs to package-guard`,
        });
    }
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

export { commandsIn };
