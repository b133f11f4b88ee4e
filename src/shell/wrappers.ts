import { words } from "./options.js";
import type { Field } from "./types.js";

/** What a wrapper runs: another command line, a shell string, or nothing. */
export type Unwrapped =
  | { argv: Field[] }
  /** A string run by a shell (`su -c`, `watch`, `ssh host …`), with the words that follow it. */
  | { script: Field; extra?: Field[] }
  | null;

const set = (...items: string[]): ReadonlySet<string> => new Set(items);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** The command after the wrapper's options (and, for some, a fixed number of operands such as a duration). */
const afterOptions =
  (valueOptions: ReadonlySet<string>, options: { operands?: number; assignments?: boolean; stop?: string[] } = {}) =>
  (args: Field[]): Unwrapped => {
    let i = 0;
    let operands = options.operands ?? 0;
    for (; i < args.length; i++) {
      const f = args[i]!;
      if (!f.known) break;
      const t = f.text;
      if (t === "--") {
        i++;
        break;
      }
      if (options.stop?.includes(t)) return null;
      if (t.startsWith("-") && t.length > 1) {
        if (!t.includes("=") && valueOptions.has(t)) i++;
        continue;
      }
      if (options.assignments && ASSIGNMENT.test(t)) continue;
      if (operands > 0) {
        operands--;
        continue;
      }
      break;
    }
    const argv = args.slice(i);
    return argv.length > 0 ? { argv } : null;
  };

/** `env`: options, NAME=VALUE words, then the command; `-S` splits a string into the command line. */
const env = (args: Field[]): Unwrapped => {
  for (let i = 0; i < args.length; i++) {
    const f = args[i]!;
    if (!f.known) return { argv: args.slice(i) };
    const t = f.text;
    if (t === "-S" || t === "--split-string")
      return args[i + 1] ? { script: args[i + 1]!, extra: args.slice(i + 2) } : null;
    if (t.startsWith("--split-string=")) return { script: { ...f, text: t.slice(15) }, extra: args.slice(i + 1) };
    if (/^-[a-zA-Z0-9]*S./.test(t))
      return { script: { ...f, text: t.slice(t.indexOf("S") + 1) }, extra: args.slice(i + 1) };
    if (/^-[a-zA-Z0-9]*S$/.test(t)) return args[i + 1] ? { script: args[i + 1]!, extra: args.slice(i + 2) } : null;
    if (t === "--") return args.length > i + 1 ? { argv: args.slice(i + 1) } : null;
    if (["-u", "--unset", "-C", "--chdir", "-P", "-a", "--argv0"].includes(t)) {
      i++;
      continue;
    }
    if (t.startsWith("-") || ASSIGNMENT.test(t)) continue;
    return { argv: args.slice(i) };
  }
  return null;
};

/** A wrapper whose `-c STRING` is run by a shell (su, runuser, sg, flock, script), else a command line. */
const withShellString =
  (valueOptions: ReadonlySet<string>, operands = 0) =>
  (args: Field[]): Unwrapped => {
    const at = args.findIndex(
      (f) => f.known && (/^-[A-Za-z]*c$/.test(f.text) || f.text === "--command" || f.text === "--run"),
    );
    if (at >= 0) return args[at + 1] ? { script: args[at + 1]! } : null;
    const joined = args.find((f) => f.known && /^--(command|run)=/.test(f.text));
    if (joined) return { script: { ...joined, text: joined.text.replace(/^--(command|run)=/, "") } };
    return afterOptions(valueOptions, { operands })(args);
  };

/** `watch` and `ssh host …` join their words into one string and hand it to a shell. */
const joined =
  (valueOptions: ReadonlySet<string>, operands = 0) =>
  (args: Field[]): Unwrapped => {
    const rest = afterOptions(valueOptions, { operands })(args);
    if (!rest || !("argv" in rest)) return null;
    const [head, ...tail] = rest.argv;
    if (tail.length === 0) return { script: head! };
    return { script: head!, extra: tail };
  };

const xargs = (args: Field[]): Unwrapped => {
  const rest = afterOptions(
    words(
      "-I -n --max-args -L --max-lines -l -P --max-procs -d --delimiter -a --arg-file -E -s --max-chars " +
        "--process-slot-var",
    ),
  )(args);
  return rest;
};

/** `find … -exec cmd … ;` (and -execdir, -ok, -okdir): each is a command line. */
export const findCommands = (args: Field[]): Field[][] => {
  const out: Field[][] = [];
  for (let i = 0; i < args.length; i++) {
    if (!args[i]!.known || !["-exec", "-execdir", "-ok", "-okdir"].includes(args[i]!.text)) continue;
    let end = i + 1;
    while (end < args.length && !(args[end]!.known && (args[end]!.text === ";" || args[end]!.text === "+"))) end++;
    out.push(args.slice(i + 1, end));
    i = end;
  }
  return out;
};

/** GNU parallel: the words before `:::` are a command run by a shell for each input. */
const parallel = (args: Field[]): Unwrapped => {
  const stop = args.findIndex((f) => f.known && /^:::+$/.test(f.text));
  const head = afterOptions(words("-j --jobs -S --sshlogin -a --arg-file -d --delimiter --results"))(
    stop >= 0 ? args.slice(0, stop) : args,
  );
  if (!head || !("argv" in head)) return null;
  return { script: head.argv[0]!, extra: head.argv.slice(1) };
};

/** Programs that run the command given to them (possibly after options). */
export const WRAPPERS: ReadonlyMap<string, (args: Field[]) => Unwrapped> = new Map<
  string,
  (args: Field[]) => Unwrapped
>([
  [
    "sudo",
    afterOptions(
      words(
        "-u -g -C -D -h -p -r -t -T -U --user --group --close-from --chdir --host --prompt --role --type " +
          "--command-timeout --other-user",
      ),
      { assignments: true, stop: ["-e", "--edit", "-l", "--list", "-v", "--validate", "-k", "-K"] },
    ),
  ],
  ["doas", afterOptions(set("-u", "-C"))],
  ["pkexec", afterOptions(set("--user"))],
  ["env", env],
  ["timeout", afterOptions(set("-k", "--kill-after", "-s", "--signal"), { operands: 1 })],
  ["nohup", afterOptions(set())],
  ["nice", afterOptions(set("-n", "--adjustment"))],
  [
    "ionice",
    afterOptions(set("-c", "--class", "-n", "--classdata"), { stop: ["-p", "--pid", "-P", "--pgid", "-u", "--uid"] }),
  ],
  ["chrt", afterOptions(set(), { operands: 1, stop: ["-p", "--pid"] })],
  ["taskset", afterOptions(set(), { operands: 1, stop: ["-p", "--pid"] })],
  ["stdbuf", afterOptions(words("-i -o -e --input --output --error"))],
  ["setsid", afterOptions(set())],
  ["time", afterOptions(set("-f", "--format", "-o", "--output"))],
  ["command", afterOptions(set(), { stop: ["-v", "-V"] })],
  ["builtin", afterOptions(set())],
  ["exec", afterOptions(set("-a"))],
  ["coproc", afterOptions(set())],
  ["xargs", xargs],
  ["unbuffer", afterOptions(set())],
  ["strace", afterOptions(words("-o -e -s -u -E -I -a -b -O -S -X -P"), { stop: ["-p"] })],
  ["ltrace", afterOptions(words("-o -e -s -u -a -n"), { stop: ["-p"] })],
  ["catchsegv", afterOptions(set())],
  ["firejail", afterOptions(set())],
  ["proxychains", afterOptions(set("-f"))],
  ["proxychains4", afterOptions(set("-f"))],
  ["torsocks", afterOptions(set("-u", "-p", "-a", "-P"))],
  ["tsocks", afterOptions(set())],
  ["fakeroot", afterOptions(set("-l", "--lib", "--faked", "-s", "-i"))],
  ["chroot", afterOptions(set("--userspec", "--groups"), { operands: 1 })],
  ["unshare", afterOptions(words("--map-user --map-group --setgroups -S --setuid -G --setgid --wd"))],
  ["nsenter", afterOptions(words("-t --target -S --setuid -G --setgid --wd -w"))],
  [
    "systemd-run",
    afterOptions(
      words(
        "-p --property -E --setenv --unit -u --slice -M --machine --description --working-directory --uid --gid " +
          "--nice -H --host",
      ),
    ),
  ],
  ["dbus-run-session", afterOptions(set("--config-file", "--dbus-daemon"))],
  ["caffeinate", afterOptions(set("-w", "-t"))],
  ["with-contenv", afterOptions(set())],
  [
    "direnv",
    (args) => (args[0]?.known && args[0].text === "exec" ? afterOptions(set(), { operands: 1 })(args.slice(1)) : null),
  ],
  ["busybox", (args) => (args.length > 0 ? { argv: args } : null)],
  ["toybox", (args) => (args.length > 0 ? { argv: args } : null)],
  ["su", withShellString(words("-s --shell -g --group -G --supp-group -w --whitelist-environment"), 1)],
  ["runuser", withShellString(words("-u --user -s --shell -g --group -G --supp-group -w"))],
  ["sg", withShellString(set(), 1)],
  ["flock", withShellString(set("-w", "--timeout", "-E", "--conflict-exit-code"), 1)],
  ["script", (args) => withShellString(words("-c -t --timing -I -O -B -T -E --echo -m"))(args)],
  [
    "nix-shell",
    (args) => {
      const at = args.findIndex((f) => f.known && (f.text === "--run" || f.text === "--command"));
      return at >= 0 && args[at + 1] ? { script: args[at + 1]! } : null;
    },
  ],
  ["watch", joined(words("-n --interval -d --differences -q --equexit --exec"))],
  ["ssh", joined(words("-p -i -l -o -F -J -L -R -D -W -b -c -E -e -I -m -O -Q -S -w -B"), 1)],
  ["parallel", parallel],
  ["entr", afterOptions(set())],
]);

/** The command a chain of wrappers finally runs (`sudo env timeout 5 curl …` -> `curl …`). */
export const innermost = (argv: Field[]): Field[] => {
  let current = argv;
  for (let hops = 0; hops < 12; hops++) {
    const head = current[0];
    if (!head?.known) return current;
    const wrap = WRAPPERS.get((head.text.split("/").pop() ?? "").toLowerCase());
    const inner = wrap?.(current.slice(1));
    if (!inner || !("argv" in inner)) return current;
    current = inner.argv;
  }
  return current;
};

/** The commands a program runs for each file it finds (`find -exec`). */
export const isFind = (name: string): boolean =>
  name === "find" || name === "gfind" || name === "fd" || name === "fdfind";

/** fd/fdfind run `-x cmd …` / `-X cmd …` for their results. */
export const fdCommands = (args: Field[]): Field[][] => {
  const at = args.findIndex((f) => f.known && ["-x", "--exec", "-X", "--exec-batch"].includes(f.text));
  return at >= 0 ? [args.slice(at + 1)] : [];
};
