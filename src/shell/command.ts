import { dynamicCode, runInvocation, scriptFile, stdinCode, writtenCode } from "./code.js";
import { guardCliVerdict, openclawVerdict } from "./controls.js";
import { FAMILY_NAMES, familyAnalyzer } from "./families.js";
import { INTERPRETERS, PYTHON, inlineInvocation, isShell, pythonInvocation, shellInvocation } from "./interpreters.js";
import { mentionedInstaller, programName } from "./names.js";
import { FIND_WRITES, READ_ONLY_PROGRAMS, touchesProtected } from "./paths.js";
import { codeVariable, runner } from "./runners.js";
import { INSTALL_WORDS, opaque, report, reportControl, reportVerdict, show, type Scope } from "./scope.js";
import { substitutionOutput } from "./stdin.js";
import type { Field } from "./types.js";
import { globRegExp } from "./words.js";
import { fdCommands, findCommands, isFind, WRAPPERS } from "./wrappers.js";
import { fileKey } from "./writes.js";

const MAX_HOPS = 12;

// Programs a glob in command position must not be able to reach.
const GUARDED_NAMES = [
  ...FAMILY_NAMES,
  ..."python python3 node bash sh sudo env openclaw package-guard eval xargs".split(" "),
];

const dynamicCommand = (name: Field, args: Field[], scope: Scope): void => {
  if (name.node) {
    const fed = substitutionOutput(name.node, scope.script.ctx, scope.script.fetched);
    if (fed.network || fed.transform)
      return opaque(
        scope,
        "dynamic-command",
        `the program \`${name.source}\` comes from ${fed.network ?? fed.transform}`,
      );
  }
  const named = mentionedInstaller(name.source) ?? scope.script.tainted;
  const verb = args.find((f) => f.known && INSTALL_WORDS.has(f.text));
  const unknownArg = args.find((f) => !f.known);
  if (!named && !verb && !unknownArg) return;
  const why = named
    ? `and may be '${named}'`
    : verb
      ? `and is given '${verb.text}'`
      : "with arguments the gate cannot read either";
  opaque(
    scope,
    "dynamic-command",
    `the program \`${name.source}\` is decided at run time ${why}; write the program's name`,
  );
};

const checkArgPaths = (prog: string, args: Field[], scope: Scope): void => {
  const paths = scope.run.paths;
  if (!paths) return;
  if (READ_ONLY_PROGRAMS.has(prog) || (isFind(prog) && !args.some((f) => f.known && FIND_WRITES.has(f.text)))) return;
  const hit = args.find((f) => touchesProtected(f, paths, scope.script.cwds));
  if (hit)
    report(scope, {
      kind: "protected",
      family: "state-write",
      reason: `\`${prog}\` may change '${show(hit)}', which belongs to package-guard`,
    });
};

const shellQuote = (f: Field): string => (f.known ? `'${f.text.replace(/'/g, `'\\''`)}'` : f.source);
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=/;

/** One command line, as far as it can be read: installs, code it runs, the guard's controls and files. */
export const analyzeArgv = (argv: Field[], scope: Scope, hops = 0): void => {
  const [name, ...args] = argv;
  if (!name) return;
  if (hops > MAX_HOPS) return opaque(scope, "wrappers", "too many wrapper commands in a row to follow");
  if (!name.known) return dynamicCommand(name, args, scope);
  const prog = programName(name.text);
  if (name.glob) {
    const re = globRegExp(prog);
    const hit = GUARDED_NAMES.find((n) => re.test(n));
    if (hit) opaque(scope, "glob-command", `the program \`${name.text}\` is a pattern that can match '${hit}'`);
    return;
  }
  const alias = scope.script.aliases.get(name.text);
  if (alias && hops < 4) {
    for (const value of alias) scope.nested(`${value} ${args.map(shellQuote).join(" ")}`, `alias ${name.text}`);
    return;
  }
  // A copy or link of an installer made in this command (`cp $(which pip) tool; ./tool install x`).
  const renamed = scope.script.writes.renamed.get(prog);
  if (renamed && renamed !== prog) return scope.argv([{ ...name, text: renamed }, ...args], hops + 1);
  if (name.text.includes("/") && writtenCode(name.text, scope, fileKey(name.text), true)) return;
  if (prog === "package-guard") return reportControl(scope, guardCliVerdict(args, "package-guard"));
  if (prog === "openclaw") return reportControl(scope, openclawVerdict(args));
  // `env VAR=…` and `sudo VAR=…` set variables for the command they run.
  if (prog === "env" || prog === "sudo" || prog === "doas") {
    for (const f of args) {
      const m = f.known ? ASSIGNMENT.exec(f.text) : null;
      if (m) codeVariable(m[1]!, { ...f, text: f.text.slice(m[0].length) }, scope);
    }
  }
  const inner = WRAPPERS.get(prog)?.(args);
  // A wrapper's command is checked for the files it writes on its own (`sudo cat <guard file>` only reads).
  if (!inner || !("argv" in inner)) checkArgPaths(prog, args, scope);
  if (inner) {
    if ("argv" in inner) return analyzeArgv(inner.argv, scope, hops + 1);
    const text = [inner.script, ...(inner.extra ?? [])];
    if (text.every((f) => f.known)) return scope.nested(text.map((f) => f.text).join(" "), prog);
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
    if (args.every((f) => f.known)) return scope.nested(args.map((f) => f.text).join(" "), "eval");
    for (const f of args) if (!f.known) dynamicCode(f, scope, "eval");
    const named = mentionedInstaller(args.map(show).join(" "));
    if (named) opaque(scope, "eval", `eval runs code that names '${named}'`);
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
  if (runner(prog, args, scope, hops)) return;
  const family = familyAnalyzer(prog);
  if (family) reportVerdict(scope, family(args, prog), hops);
};
