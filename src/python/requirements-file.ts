import { PackageGuardError } from "../errors.js";
import type { Pin, Wanted } from "./types.js";

// SECURITY: these files are read by uv/pip, which honour option lines (--index-url, -r, -e) inside them.
// Every line is rebuilt from parts that match these patterns, so no agent text reaches them verbatim.
const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const VERSION = "[0-9]+(?:\\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\\.post[0-9]+)?(?:\\.dev[0-9]+)?";
const CLAUSE = `(?:(?:==|!=)[0-9]+(?:\\.[0-9]+)*\\.\\*|(?:~=|==|!=|<=|>=|<|>)${VERSION})`;
const SPECIFIER = new RegExp(`^(?:${CLAUSE}(?:,${CLAUSE})*)?$`);
// A pinned version comes back from the resolver: any PEP 440 public or local version, nothing else.
const PINNED_VERSION = /^[0-9]+(?:![0-9]+)?(?:\.[0-9]+)*(?:[a-z0-9.]*)?(?:\+[a-z0-9.]+)?$/i;
const HASH = /^sha256:[0-9a-f]{64}$/;

const reject = (what: string, value: string): never => {
  throw new PackageGuardError(
    "INVALID_REQUIREMENT",
    `Refusing to write ${what} '${value.slice(0, 80)}' into a requirements file`,
    {
      details: { reason: "requirements-file" },
    },
  );
};

export const requirementLine = (name: string, extras: readonly string[], specifier: string): string => {
  if (!NAME.test(name)) reject("package name", name);
  for (const extra of extras) if (!NAME.test(extra)) reject("extra", extra);
  if (!SPECIFIER.test(specifier)) reject("version specifier", specifier);
  return `${name}${extras.length > 0 ? `[${[...extras].toSorted().join(",")}]` : ""}${specifier}`;
};

/** The resolver's input: one line per wanted requirement, in name order so output is reproducible. */
export const requirementsIn = (wanted: Wanted): string =>
  Object.keys(wanted)
    .toSorted()
    .map((name) => requirementLine(name, wanted[name]!.extras, wanted[name]!.specifier))
    .join("\n") + "\n";

const pinHead = (pin: Pin): string => {
  if (!NAME.test(pin.name)) reject("package name", pin.name);
  if (!PINNED_VERSION.test(pin.version)) reject("version", pin.version);
  return `${pin.name}==${pin.version}`;
};

/**
 * Constraints for a resolve: `name==version` lines ("keep what is there if possible") and `name<specifier>`
 * lines (ranges that must hold, such as a dependency's whitelist range).
 */
export const constraintsFile = (pins: readonly Pin[], ranges: Readonly<Record<string, string>> = {}): string =>
  [
    ...pins.map(pinHead),
    ...Object.keys(ranges)
      .toSorted()
      .map((name) => requirementLine(name, [], ranges[name]!)),
  ].join("\n") + "\n";

/** The installer's input: exact pins, each with every accepted hash, for --require-hashes. */
export const pinnedRequirements = (pins: readonly Pin[]): string =>
  pins
    .map((pin) => {
      if (pin.hashes.length === 0) reject("pin without a hash", pin.name);
      for (const hash of pin.hashes) if (!HASH.test(hash)) reject("hash", hash);
      return [pinHead(pin), ...pin.hashes.map((h) => `    --hash=${h}`)].join(" \\\n");
    })
    .join("\n") + (pins.length > 0 ? "\n" : "");
