import { PackageGuardError } from "../errors.js";
import { normalizeName } from "../policy/names.js";
import type { Pin } from "./types.js";

const PIN = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[A-Za-z0-9._,-]*\])?==([A-Za-z0-9.!+_-]+)$/;
const HASH = /^--hash=sha256:([0-9a-f]{64})$/;

const unexpected = (line: string): never => {
  throw new PackageGuardError("INSTALL_FAILED", `Unexpected line in the resolver output: '${line.slice(0, 120)}'`, {
    details: { reason: "resolver-output" },
  });
};

/**
 * Reads `uv pip compile --generate-hashes --no-annotate` output (`name==version \` + `--hash=sha256:…` lines).
 * SECURITY: anything else (URLs, `-e`, option lines, markers) is an error, never skipped: what is installed
 * must be exactly what is listed here and then scanned.
 */
export const parseCompileOutput = (text: string): Pin[] => {
  const logical = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const pins = new Map<string, Pin>();
  for (const line of logical) {
    const [head = "", ...rest] = line.split(/\s+/);
    const match = PIN.exec(head);
    if (!match) unexpected(line);
    const hashes = rest.map((token) => HASH.exec(token)?.[1] ?? unexpected(line)).map((hex) => `sha256:${hex}`);
    if (hashes.length === 0) unexpected(line);
    const name = normalizeName(match![1]!);
    if (pins.has(name)) unexpected(line);
    pins.set(name, { name, version: match![2]!, hashes: [...new Set(hashes)] });
  }
  return [...pins.values()].toSorted((a, b) => a.name.localeCompare(b.name));
};
