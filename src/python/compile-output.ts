import { PackageGuardError } from "../errors.js";
import { normalizeName } from "../policy/names.js";
import type { Pin } from "./types.js";

const PIN = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[A-Za-z0-9._,-]*\])?==([A-Za-z0-9.!+_-]+)$/;
const HASH = /^--hash=sha256:([0-9a-f]{64})$/;
const VIA = /^#\s*via(?:\s+(.*))?$/;
const VIA_MORE = /^#\s+([A-Za-z0-9][A-Za-z0-9._-]*|-[rc]\s.*)$/;

const unexpected = (line: string): never => {
  throw new PackageGuardError("INSTALL_FAILED", `Unexpected line in the resolver output: '${line.slice(0, 120)}'`, {
    details: { reason: "resolver-output" },
  });
};

// "-r requirements.in" (asked for directly) and "-c constraints.txt" name no parent package.
const parents = (text: string): string[] =>
  text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "" && !p.startsWith("-"))
    .map(normalizeName);

const addParents = (pin: Pin, names: string[]): void => {
  if (names.length > 0) pin.via = [...(pin.via ?? []), ...names];
};

/**
 * Reads `uv pip compile --generate-hashes` output (`name==version \` + `--hash=sha256:…` lines, then `# via` notes
 * naming what pulled each pin in). SECURITY: anything else (URLs, `-e`, option lines, markers) is an error, never
 * skipped: what is installed must be exactly what is listed here and then scanned. The `via` notes only feed messages.
 */
export const parseCompileOutput = (text: string): Pin[] => {
  const lines = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
  const pins = new Map<string, Pin>();
  let last: Pin | null = null;
  let collecting = false;
  for (const raw of lines) {
    if (raw.startsWith("#")) {
      const via = VIA.exec(raw);
      const more = collecting ? VIA_MORE.exec(raw) : null;
      if (via && last) {
        addParents(last, parents(via[1] ?? ""));
        collecting = true;
      } else if (more && last) addParents(last, parents(more[1]!));
      else collecting = false;
      continue;
    }
    collecting = false;
    const line = raw.replace(/\s+#.*$/, "");
    const [head = "", ...rest] = line.split(/\s+/);
    const match = PIN.exec(head);
    if (!match) unexpected(line);
    const hashes = rest.map((token) => HASH.exec(token)?.[1] ?? unexpected(line)).map((hex) => `sha256:${hex}`);
    if (hashes.length === 0) unexpected(line);
    const name = normalizeName(match![1]!);
    if (pins.has(name)) unexpected(line);
    last = { name, version: match![2]!, hashes: [...new Set(hashes)] };
    pins.set(name, last);
  }
  return [...pins.values()].toSorted((a, b) => a.name.localeCompare(b.name));
};
