import { PackageGuardError } from "../errors.js";
import { intersectSpecifiers } from "./ranges.js";
import { parseRequirement, parseSpecifier, type ParsedRequirement } from "./requirement.js";

const parameter = (message: string): PackageGuardError =>
  new PackageGuardError("INVALID_REQUIREMENT", message, { details: { reason: "parameter" } });

/**
 * A request as callers send it: the package (name, extras, optional range) and an optional separate version range.
 * Both arrive untyped from tools, RPC and the CLI; the two ranges must both hold.
 */
export const parseRequest = (raw: unknown, version: unknown): ParsedRequirement => {
  if (typeof raw !== "string") throw parameter("The package must be a string");
  const parsed = parseRequirement(raw);
  if (version === undefined || version === "") return parsed;
  if (typeof version !== "string") throw parameter("The version must be a string such as '>=2,<3'");
  const spec = parseSpecifier(version);
  return { ...parsed, specifier: parsed.specifier === "" ? spec : intersectSpecifiers(parsed.specifier, spec) };
};
