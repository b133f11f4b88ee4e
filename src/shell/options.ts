import type { Field } from "./types.js";

/** A command line's words after its options: what subcommand-style CLIs (pip, npm, uv …) act on. */
export type Positional = { field: Field; index: number };

/**
 * The positional words of `args`, skipping options and the values of options known to take one. `--` ends the
 * options. An unknown word is never skipped: guessing wrong could hide a subcommand.
 */
export const positionals = (args: readonly Field[], valueOptions: ReadonlySet<string> = NO_VALUES): Positional[] => {
  const out: Positional[] = [];
  for (let i = 0; i < args.length; i++) {
    const f = args[i]!;
    const t = f.text;
    if (f.known && t === "--") {
      for (let k = i + 1; k < args.length; k++) out.push({ field: args[k]!, index: k });
      break;
    }
    if (f.known && t.startsWith("-") && t.length > 1) {
      if (!t.includes("=") && valueOptions.has(t)) i++;
      continue;
    }
    out.push({ field: f, index: i });
  }
  return out;
};

export const NO_VALUES: ReadonlySet<string> = new Set();

/** True when some argument is this option (also as `--opt=value`, and inside a short-option cluster for -x). */
export const hasOption = (args: readonly Field[], ...names: string[]): boolean =>
  args.some((f) => {
    if (!f.known) return false;
    const t = f.text;
    return names.some((n) =>
      n.startsWith("--")
        ? t === n || t.startsWith(`${n}=`)
        : t === n || (n.length === 2 && /^-[A-Za-z]+$/.test(t) && t.includes(n[1]!)),
    );
  });

/** The value of an option (`-o v`, `-ov`, `--opt v`, `--opt=v`), if present. */
export const optionValue = (args: readonly Field[], ...names: string[]): Field | undefined => {
  for (let i = 0; i < args.length; i++) {
    const f = args[i]!;
    if (!f.known) continue;
    for (const n of names) {
      if (f.text === n) return args[i + 1];
      if (n.startsWith("--") && f.text.startsWith(`${n}=`)) return { ...f, text: f.text.slice(n.length + 1) };
      if (!n.startsWith("--") && n.length === 2 && f.text.startsWith(n) && f.text.length > 2)
        return { ...f, text: f.text.slice(2) };
    }
  }
  return undefined;
};

/** Does a word name one of `names`? A pattern (glob) counts when it can match one; an unknown word does not. */
export const fieldIs = (f: Field | undefined, names: ReadonlySet<string>, match?: (p: string) => RegExp): boolean => {
  if (!f || !f.known) return false;
  if (names.has(f.text)) return true;
  if (f.glob && match) {
    const re = match(f.text);
    for (const n of names) if (re.test(n)) return true;
  }
  return false;
};

/** A set of words written as one space-separated string (long option and verb lists stay readable). */
export const words = (list: string): ReadonlySet<string> => new Set(list.split(" ").filter(Boolean));
