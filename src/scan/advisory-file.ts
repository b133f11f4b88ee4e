import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { PackageGuardError } from "../errors.js";
import { toAdvisory, type OsvAdvisory } from "./osv-advisory.js";

export const ADVISORY_FILE = /\.(ya?ml|json)$/;

/**
 * Reads one advisory file (OSV as YAML or JSON). SECURITY: a file we cannot read could be the advisory that matters,
 * so it fails the scan rather than being skipped. The YAML failsafe schema keeps every scalar a string: an unquoted
 * `3.10` must stay "3.10", not become 3.1.
 */
export const readAdvisoryFile = async (path: string): Promise<OsvAdvisory> => {
  let advisory: OsvAdvisory | undefined;
  try {
    const text = await readFile(path, "utf8");
    advisory = toAdvisory(path.endsWith(".json") ? JSON.parse(text) : parse(text, { schema: "failsafe" }));
  } catch (error) {
    throw new PackageGuardError(
      "SCANNER_UNAVAILABLE",
      `Advisory file ${path} cannot be read or parsed ` +
        `(${error instanceof Error ? error.message.split("\n")[0] : String(error)}); repair or remove it.`,
      { cause: error },
    );
  }
  if (advisory === undefined)
    throw new PackageGuardError("SCANNER_UNAVAILABLE", `Advisory file ${path} has no id; repair or remove it.`);
  return advisory;
};
