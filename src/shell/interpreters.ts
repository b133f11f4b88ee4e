import { words } from "./options.js";
import type { Field } from "./types.js";

/** How an interpreter was asked to run code. */
export type Invocation =
  /** `-c CODE` / `-e CODE` …: code on the command line. */
  | { kind: "code"; code: Field; args: Field[] }
  /** `python -m MODULE args`. */
  | { kind: "module"; module: Field; args: Field[] }
  /** A script file (or a process substitution) and its arguments. */
  | { kind: "script"; script: Field; args: Field[] }
  /** No program given: code comes from standard input. */
  | { kind: "stdin" }
  /** An option the gate cannot read (a variable) stands where a program could be named. */
  | { kind: "unknown"; at: Field; args: Field[] };

/** `<(cmd)` given where a script file goes: the script is that command's output. */
const isSubstitution = (f: Field): boolean => f.node?.type === "process_substitution";

export const PYTHON = /^(?:python|pythonw|pypy|ipython|py)(?:[0-9]+(?:\.[0-9]+)*t?)?$/;

/**
 * CPython's command line (also py, pypy, ipython): short options cluster like getopt (`-Im pip` is -I -m pip,
 * `-mpip` is -m pip); -c and -m end the interpreter's options.
 */
export const pythonInvocation = (args: Field[]): Invocation => {
  for (let i = 0; i < args.length; i++) {
    const f = args[i]!;
    if (isSubstitution(f)) return { kind: "script", script: f, args: args.slice(i + 1) };
    if (!f.known) return { kind: "unknown", at: f, args: args.slice(i + 1) };
    const t = f.text;
    if (t === "-") return { kind: "stdin" };
    if (t === "--")
      return args[i + 1] ? { kind: "script", script: args[i + 1]!, args: args.slice(i + 2) } : { kind: "stdin" };
    if (t.startsWith("--")) {
      if (t === "--check-hash-based-pycs") i++;
      continue;
    }
    // The py launcher's version selectors: -3, -3.12, -V:3.12.
    if (/^-[0-9]/.test(t) || t.startsWith("-V:")) continue;
    if (t.startsWith("-") && t.length > 1) {
      for (let j = 1; j < t.length; j++) {
        const ch = t[j]!;
        if (ch === "c" || ch === "m" || ch === "W" || ch === "X") {
          const attached = t.slice(j + 1);
          const value: Field | undefined = attached ? { ...f, text: attached } : args[++i];
          if (!value) return { kind: "stdin" };
          if (ch === "c") return { kind: "code", code: value, args: args.slice(i + 1) };
          if (ch === "m") return { kind: "module", module: value, args: args.slice(i + 1) };
          break;
        }
      }
      continue;
    }
    return { kind: "script", script: f, args: args.slice(i + 1) };
  }
  return { kind: "stdin" };
};

type InlineSpec = {
  /** Options whose value is code: -e, --eval, -r … */
  code: ReadonlySet<string>;
  /** Options that take a value that is not code. */
  values: ReadonlySet<string>;
  /** Single-letter code flags that may sit at the end of a cluster (perl -ne 'code'). */
  clustered?: string;
  /** awk: the first operand is the program. */
  programOperand?: boolean;
  /** Reads code from stdin when no program is given. */
  stdin: boolean;
};

const set = (...items: string[]): ReadonlySet<string> => new Set(items);

/** Interpreters other than Python that take code on the command line. */
export const INTERPRETERS: ReadonlyMap<string, InlineSpec> = new Map<string, InlineSpec>([
  [
    "node",
    {
      code: set("-e", "--eval", "-p", "--print"),
      values: words(
        "-r --require --import --loader --experimental-loader -C --conditions --title --input-type --inspect-port",
      ),
      stdin: true,
    },
  ],
  ["nodejs", { code: set("-e", "--eval", "-p", "--print"), values: set("-r", "--require", "--import"), stdin: true }],
  [
    "perl",
    {
      code: set("-e", "-E"),
      values: words("-I -M -m -x -i -l -0 -C"),
      clustered: "eE",
      stdin: true,
    },
  ],
  ["ruby", { code: set("-e"), values: words("-I -r -E -C -x -F -W"), clustered: "e", stdin: true }],
  ["php", { code: set("-r", "-B", "-R", "-E"), values: set("-c", "-d", "-z", "-t"), stdin: true }],
  ["lua", { code: set("-e"), values: set("-l"), stdin: true }],
  ["luajit", { code: set("-e"), values: set("-l", "-j", "-O", "-b"), stdin: true }],
  ["rscript", { code: set("-e"), values: set(), stdin: false }],
  [
    "julia",
    {
      code: set("-e", "--eval", "-E", "--print"),
      values: words("-J --sysimage -p --procs -t --threads --project"),
      stdin: true,
    },
  ],
  ["osascript", { code: set("-e"), values: set("-l", "-s"), stdin: true }],
  ["tclsh", { code: set(), values: set(), stdin: true }],
  ["wish", { code: set(), values: set(), stdin: true }],
  [
    "pwsh",
    {
      code: words("-c -command -Command -EncodedCommand -e -ec"),
      values: set("-File", "-f"),
      stdin: true,
    },
  ],
  ["powershell", { code: words("-c -command -Command -EncodedCommand -e -ec"), values: set(), stdin: true }],
  ["awk", { code: set(), values: set("-F", "-v", "-f"), programOperand: true, stdin: false }],
  [
    "gawk",
    { code: set("-e", "--source"), values: set("-F", "-v", "-f", "-i", "-l"), programOperand: true, stdin: false },
  ],
  ["mawk", { code: set(), values: set("-F", "-v", "-f"), programOperand: true, stdin: false }],
  ["nawk", { code: set(), values: set("-F", "-v", "-f"), programOperand: true, stdin: false }],
]);

/** How an interpreter from INTERPRETERS was invoked. */
export const inlineInvocation = (spec: InlineSpec, args: Field[]): Invocation => {
  for (let i = 0; i < args.length; i++) {
    const f = args[i]!;
    if (isSubstitution(f) && !spec.programOperand) return { kind: "script", script: f, args: args.slice(i + 1) };
    if (!f.known) return { kind: "unknown", at: f, args: args.slice(i + 1) };
    const t = f.text;
    if (t === "-") return { kind: "stdin" };
    if (t === "--")
      return args[i + 1] ? { kind: "script", script: args[i + 1]!, args: args.slice(i + 2) } : { kind: "stdin" };
    const eq = t.indexOf("=");
    if (t.startsWith("--") && eq > 0 && spec.code.has(t.slice(0, eq)))
      return { kind: "code", code: { ...f, text: t.slice(eq + 1) }, args: args.slice(i + 1) };
    if (spec.code.has(t))
      return args[i + 1] ? { kind: "code", code: args[i + 1]!, args: args.slice(i + 2) } : { kind: "stdin" };
    if (spec.clustered && /^-[A-Za-z0-9]+$/.test(t)) {
      const at = Array.from(t.slice(1)).findIndex((c) => spec.clustered!.includes(c));
      if (at >= 0) {
        const attached = t.slice(at + 2);
        const code = attached ? { ...f, text: attached } : args[++i];
        if (code) return { kind: "code", code, args: args.slice(i + 1) };
      }
    }
    if (t.startsWith("-") && t.length > 1) {
      if (!t.includes("=") && spec.values.has(t)) {
        // awk -f FILE: the program is a file.
        if (spec.programOperand && t === "-f")
          return args[i + 1] ? { kind: "script", script: args[i + 1]!, args: [] } : { kind: "stdin" };
        i++;
      }
      continue;
    }
    if (spec.programOperand) return { kind: "code", code: f, args: args.slice(i + 1) };
    return { kind: "script", script: f, args: args.slice(i + 1) };
  }
  return spec.stdin ? { kind: "stdin" } : { kind: "stdin" };
};

const SHELL_NAMES = words(
  "sh bash dash zsh ksh ksh93 mksh pdksh ash yash posh rbash fish hush lksh oksh loksh elvish nu xonsh csh tcsh",
);

export const isShell = (name: string): boolean => SHELL_NAMES.has(name);

/** A shell's command line: `-c STRING [name args…]`, a script file, or standard input (`-s`, or nothing). */
export const shellInvocation = (args: Field[]): Invocation => {
  let command = false;
  let stdin = false;
  for (let i = 0; i < args.length; i++) {
    const f = args[i]!;
    if (!command && isSubstitution(f)) return { kind: "script", script: f, args: args.slice(i + 1) };
    if (!f.known) {
      if (command) return { kind: "code", code: f, args: args.slice(i + 1) };
      return { kind: "unknown", at: f, args: args.slice(i + 1) };
    }
    const t = f.text;
    if (t === "--" || t === "-") {
      const rest = args.slice(i + 1);
      if (command) return rest[0] ? { kind: "code", code: rest[0], args: rest.slice(1) } : { kind: "stdin" };
      return rest[0] && !stdin ? { kind: "script", script: rest[0], args: rest.slice(1) } : { kind: "stdin" };
    }
    if (["--rcfile", "--init-file", "-o", "+o", "-O", "+O", "--command"].includes(t)) {
      if (t === "--command") command = true;
      else i++;
      continue;
    }
    if (/^[-+][A-Za-z]+$/.test(t)) {
      if (t.startsWith("-") && t.includes("c")) command = true;
      if (t.startsWith("-") && t.includes("s")) stdin = true;
      // -o / -O inside a cluster take the next word.
      if (/[oO]/.test(t.slice(1))) i++;
      continue;
    }
    if (t.startsWith("--")) continue;
    if (command) return { kind: "code", code: f, args: args.slice(i + 1) };
    if (stdin) return { kind: "stdin" };
    return { kind: "script", script: f, args: args.slice(i + 1) };
  }
  return { kind: "stdin" };
};
