import { stdinCode } from "./code.js";
import { mentionedInstaller } from "./names.js";
import { optionValue, positionals, words } from "./options.js";
import { opaque, show, type Scope } from "./scope.js";
import { substitutionOutput } from "./stdin.js";
import type { Field } from "./types.js";

/**
 * Programs that run shell text they are given in their own way: terminal multiplexers, job schedulers, git's
 * command-valued settings, make's recipes, and variables a shell or interpreter runs at start-up.
 */

const joined = (fields: Field[]): string => fields.map(show).join(" ");

const TMUX_RUNS = words(
  "new-session new new-window neww split-window splitw respawn-pane respawnp respawn-window respawnw " +
    "run-shell run send-keys send display-popup popup if-shell if pipe-pane pipep",
);
const TMUX_VALUES = words("-t -c -n -s -F -x -y -e -L -S -f -N -l -w -h");

/** tmux: the words after a running subcommand's options are shell text (for send-keys, typed text). */
const tmux = (args: Field[], scope: Scope): void => {
  const ps = positionals(args, TMUX_VALUES);
  const sub = ps.findIndex((p) => p.field.known && TMUX_RUNS.has(p.field.text));
  if (sub < 0) return;
  const rest = positionals(args.slice(ps[sub]!.index + 1), TMUX_VALUES).map((p) => p.field);
  if (rest.length > 0) scope.nested(joined(rest), "tmux");
};

/** screen: `screen [opts] cmd …` runs a command; `-X stuff 'text'` types into a window. */
const screen = (args: Field[], scope: Scope, hops: number): void => {
  const x = args.findIndex((f) => f.known && f.text === "-X");
  if (x >= 0) {
    const [verb, ...rest] = args.slice(x + 1);
    if (verb?.known && verb.text === "stuff") scope.nested(joined(rest).replace(/\\n/g, "\n"), "screen stuff");
    else if (verb) scope.argv(args.slice(x + 1), hops + 1);
    return;
  }
  // Options cluster (`-dmS name`): a cluster ending in a letter that takes a value takes the next word.
  for (let i = 0; i < args.length; i++) {
    const f = args[i]!;
    if (!f.known) return scope.argv(args.slice(i), hops + 1);
    if (!f.text.startsWith("-")) return scope.argv(args.slice(i), hops + 1);
    if (/^-[A-Za-z]*[SceTphst]$/.test(f.text)) i++;
  }
};

/** git runs some settings as commands (core.pager, core.editor, alias.x = !cmd, …). */
const git = (args: Field[], scope: Scope): void => {
  const ps = positionals(args, words("-C -c --git-dir --work-tree --namespace --config-env"));
  const settings = args.flatMap((f, i) => (f.known && f.text === "-c" && args[i + 1] ? [args[i + 1]!] : []));
  const configured = ps[0]?.field.known && ps[0].field.text === "config" ? ps.slice(1).map((p) => p.field) : [];
  const named = [...settings, ...configured].map((f) => mentionedInstaller(show(f))).find((m) => m !== null);
  if (named) opaque(scope, "git-command", `git would run a configured command that names '${named}'`);
};

/** make -f - reads its Makefile from standard input; --eval adds rules: recipes are shell lines. */
const make = (args: Field[], scope: Scope): void => {
  const file = optionValue(args, "-f", "--file", "--makefile");
  if (file?.known && file.text === "-") stdinCode(scope, "make -f -", true);
  const evaluated = args.flatMap((f, i) => (f.known && f.text === "--eval" && args[i + 1] ? [args[i + 1]!] : []));
  for (const f of [...evaluated, ...args.filter((f) => f.known && f.text.startsWith("--eval="))]) {
    const named = mentionedInstaller(show(f));
    if (named) opaque(scope, "make-recipe", `make --eval adds a recipe that names '${named}'`);
  }
};

/** Runs the programs of this file; true when `prog` was one of them. */
export const runner = (prog: string, args: Field[], scope: Scope, hops: number): boolean => {
  switch (prog) {
    case "tmux":
      tmux(args, scope);
      return true;
    case "screen":
      screen(args, scope, hops);
      return true;
    case "at":
    case "batch":
      // `at` and `batch` run their standard input (or -f file) later, with sh.
      if (!optionValue(args, "-f")) stdinCode(scope, prog, true);
      return true;
    case "crontab": {
      const operands = args.filter((f) => !(f.known && f.text.startsWith("-") && f.text !== "-"));
      if (operands.length === 0 || (operands[0]?.known && operands[0].text === "-")) stdinCode(scope, "crontab", false);
      return true;
    }
    case "git":
      git(args, scope);
      return false;
    case "make":
    case "gmake":
      make(args, scope);
      return false;
    default:
      return false;
  }
};

// Variables a shell, interpreter or tool runs as code or commands when it starts.
const CODE_VARIABLES = words(
  "BASH_ENV ENV PROMPT_COMMAND PS0 PS1 PS4 NODE_OPTIONS PERL5OPT RUBYOPT PYTHONSTARTUP GIT_PAGER PAGER " +
    "EDITOR VISUAL GIT_EDITOR GIT_SSH_COMMAND GIT_EXTERNAL_DIFF LESSOPEN LESSCLOSE MANPAGER SHELLOPTS",
);

/** `BASH_ENV=<(…) bash -c …`, `PAGER='pip install x' git log`: a variable that makes the command run code. */
export const codeVariable = (name: string, value: Field, scope: Scope): void => {
  if (!CODE_VARIABLES.has(name)) return;
  if (value.node?.type === "process_substitution") {
    const fed = substitutionOutput(value.node, scope.script.ctx, scope.script.fetched);
    if (fed.network || fed.transform)
      return opaque(scope, "startup-code", `${name} runs what ${fed.network ?? fed.transform} produces`);
    for (const text of fed.texts) scope.nested(text, name);
    return;
  }
  const named = mentionedInstaller(show(value)) ?? (value.known ? null : scope.script.tainted);
  if (named) opaque(scope, "startup-code", `${name} makes the command run code that names '${named}'`);
};
