import { familyAnalyzer, pipVerdict } from "./families.js";
import type { Invocation } from "./interpreters.js";
import { mentionedInstaller, programName } from "./names.js";
import { hasOption } from "./options.js";
import { INSTALL_WORDS, opaque, report, reportVerdict, show, type Scope } from "./scope.js";
import { substitutionOutput, type StdinInfo } from "./stdin.js";
import type { Field } from "./types.js";
import { fileKey } from "./writes.js";

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
export const PYTHON_MODULES: ReadonlySet<string> = new Set(
  "pip pipx uv poetry pdm hatch conda pipenv easy_install pixi".split(" "),
);

// Paths that are standard input when a program opens them as its script.
const STDIN_PATHS = new Set(["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0", "-"]);

/** Code that arrives from a feeder (a pipe, a substitution): refused when the feeder downloads, decodes or hides. */
const fedCode = (fed: StdinInfo, scope: Scope, label: string, shell: boolean, programToo: boolean): boolean => {
  if (fed.network) {
    opaque(
      scope,
      "network-code",
      `${label} runs what ${fed.network} downloads; the gate cannot see what that installs`,
    );
    return true;
  }
  if (fed.transform) {
    opaque(scope, "decoded-code", `${label} runs what ${fed.transform} produces; the gate cannot see what that runs`);
    return true;
  }
  if (programToo && fed.program) {
    opaque(
      scope,
      "piped-code",
      `${label} runs the output of ${fed.program} as code; the gate cannot see what that runs`,
    );
    return true;
  }
  for (const text of fed.texts) textCode(text, scope, label, shell);
  return false;
};

/** Literal code: shell is analyzed again, anything else is refused when it names an installer. */
const textCode = (text: string, scope: Scope, label: string, shell: boolean): void => {
  if (shell) return scope.nested(text, label);
  const named = mentionedInstaller(text);
  if (named) opaque(scope, "inline-code", `${label} reads code that names '${named}'`);
};

/** Code the gate cannot read (a variable, a substitution): refused when its source or a feeder says "installer". */
export const dynamicCode = (field: Field, scope: Scope, label: string): void => {
  if (
    field.node &&
    fedCode(substitutionOutput(field.node, scope.script.ctx, scope.script.fetched), scope, label, true, false)
  )
    return;
  const named = mentionedInstaller(field.source) ?? scope.script.tainted;
  if (named)
    opaque(
      scope,
      "dynamic-code",
      `${label} runs code decided at run time that involves '${named}'; the gate cannot check it`,
    );
};

/** Code given on the command line to an interpreter (python -c, node -e, awk '…'). */
export const inlineCode = (code: Field, scope: Scope, label: string): void => {
  if (!code.known) return dynamicCode(code, scope, label);
  const named = mentionedInstaller(code.text);
  if (named)
    opaque(
      scope,
      "inline-code",
      `${label} code names '${named}': code that may start an installer cannot be checked here`,
    );
  if (scope.run.paths && /package-guard|openclaw\.json/i.test(code.text))
    report(scope, { kind: "protected", family: "inline-code", reason: `${label} code names package-guard's files` });
};

/** Standard input run as code (`curl … | sh`, `python3 <<EOF`). */
export const stdinCode = (scope: Scope, label: string, shell: boolean): void => {
  fedCode(scope.stdin(), scope, label, shell, true);
};

/** A file written earlier in the same command and run by it (`echo 'pip install x' > a.sh && sh a.sh`). */
export const writtenCode = (path: string, scope: Scope, label: string, shell: boolean): boolean => {
  const texts = scope.script.writes.files.get(fileKey(path));
  if (!texts) return false;
  for (const text of texts) {
    textCode(text, scope, label, shell);
    // A file run as a program may be any language: its text must not name an installer either.
    if (shell) textCode(text, scope, label, false);
  }
  return true;
};

/** A file (or process substitution) an interpreter runs. */
export const scriptFile = (
  script: Field,
  args: Field[],
  scope: Scope,
  label: string,
  hops: number,
  shell: boolean,
): void => {
  if (script.node?.type === "process_substitution") {
    fedCode(substitutionOutput(script.node, scope.script.ctx, scope.script.fetched), scope, label, shell, false);
    return;
  }
  if (!script.known) return;
  if (STDIN_PATHS.has(script.text)) return stdinCode(scope, label, shell);
  if (scope.script.fetched.has(script.text) || scope.script.fetched.has(programName(script.text)))
    return opaque(scope, "network-code", `${label} runs ${script.text}, downloaded in the same command`);
  if (writtenCode(script.text, scope, `${label} ${script.text}`, shell)) return;
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
  if (program) scope.argv([{ ...script, text: program }, ...args], hops + 1);
};

const pythonModule = (module: Field, args: Field[], scope: Scope, label: string, hops: number): void => {
  if (!module.known) {
    const verb = args.find((f) => f.known && INSTALL_WORDS.has(f.text));
    if (verb || mentionedInstaller(module.source) || scope.script.tainted)
      opaque(scope, "dynamic-module", `${label} -m ${module.source} runs a module the gate cannot read`);
    return;
  }
  const root = module.text.split(".")[0]!.toLowerCase();
  const as = `${label} -m ${root}`;
  const pip = (reason: string): void => report(scope, { kind: "install", family: "pip", reason });
  if (root === "pip") return reportVerdict(scope, pipVerdict(args, "pip", as), hops);
  if (root === "ensurepip") return pip(`\`${as}\` installs pip into the interpreter`);
  if (root === "venv" && hasOption(args, "--upgrade-deps"))
    return pip(`\`${as} --upgrade-deps\` installs pip from the index`);
  if (root === "virtualenv" && hasOption(args, "--download"))
    return pip(`\`${as} --download\` installs packages from the index`);
  if (root === "build" && !hasOption(args, "--no-isolation", "-n"))
    return pip(`\`${as}\` installs build dependencies from the index`);
  if (PYTHON_MODULES.has(root)) return reportVerdict(scope, familyAnalyzer(root)?.(args, as) ?? null, hops);
};

/** What an interpreter or shell was asked to run. */
export const runInvocation = (inv: Invocation, scope: Scope, label: string, shell: boolean, hops: number): void => {
  switch (inv.kind) {
    case "code":
      if (!shell) return inlineCode(inv.code, scope, label);
      return inv.code.known ? scope.nested(inv.code.text, label, inv.args) : dynamicCode(inv.code, scope, label);
    case "script":
      return scriptFile(inv.script, inv.args, scope, label, hops, shell);
    case "stdin":
      return stdinCode(scope, label, shell);
    case "unknown": {
      const named = mentionedInstaller(inv.at.source) ?? scope.script.tainted;
      const verb = inv.args.find((f) => f.known && (INSTALL_WORDS.has(f.text) || PYTHON_MODULES.has(f.text)));
      if (named || verb)
        opaque(
          scope,
          "dynamic-option",
          `${label} gets '${inv.at.source}', which the gate cannot read, before '${show(verb) || named}'`,
        );
      return;
    }
    case "module":
      return pythonModule(inv.module, inv.args, scope, label, hops);
  }
};
