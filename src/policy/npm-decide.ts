import type { Maturity } from "../config.js";
import { PackageGuardError } from "../errors.js";
import { suggestSimilarNpm } from "./npm-names.js";
import { intersectNpmRanges, npmRangeIsEmpty, npmRangeNamesPrerelease, npmRangeWithin } from "./npm-range.js";
import { formatNpmRequest, type NpmRequest } from "./npm-request.js";
import type { Whitelist, WhitelistEntry } from "./whitelist.js";

export type NpmPolicyDecision = {
  entry: WhitelistEntry;
  request: NpmRequest;
  /** What the resolver gets: the request's range and the entry's, both holding ("" = any version). */
  effectiveRange: string;
  requiresApproval: boolean;
};

const notWhitelisted = (whitelist: Whitelist, name: string, maturity: Maturity): PackageGuardError => {
  const approvedAt = whitelist.approvedAt(name, "npm");
  if (approvedAt !== undefined) {
    return new PackageGuardError(
      "NOT_WHITELISTED",
      `npm package '${name}' is not approved for ${maturity} agents; approved at: ${approvedAt}`,
      { details: { package: name, ecosystem: "npm", maturity, approvedAt, hints: [] } },
    );
  }
  // Hints come from what this agent may install: a higher tier's package would only be denied again.
  const hints = suggestSimilarNpm(
    name,
    whitelist.visibleAt(maturity, "npm").map((e) => e.package),
  );
  const advice =
    hints.length > 0 ? `Did you mean: ${hints.join(", ")}?` : "Ask an operator to add it (packages.whitelist.add).";
  return new PackageGuardError(
    "NOT_WHITELISTED",
    `npm package '${name}' is not on the whitelist for ${maturity} agents. ${advice}`,
    { details: { package: name, ecosystem: "npm", maturity, hints } },
  );
};

const violation = (message: string, details: Record<string, unknown>): PackageGuardError =>
  new PackageGuardError("CONSTRAINT_VIOLATION", message, { details });

/** The range the resolver gets: both must hold; written as the narrower one when one lies inside the other. */
const effective = (request: string, allowed: string): string => {
  if (request === "") return allowed;
  if (allowed === "" || npmRangeWithin(request, allowed)) return request;
  if (npmRangeWithin(allowed, request)) return allowed;
  return intersectNpmRanges(request, allowed);
};

const checkRange = (request: NpmRequest, entry: WhitelistEntry): string => {
  const details = { package: entry.package, ecosystem: "npm", requested: request.range, allowed: entry.version };
  if (entry.version !== "" && npmRangeIsEmpty(entry.version)) {
    // The operator's entry is broken: nothing can be judged against it, so nothing passes.
    throw new PackageGuardError(
      "CONFIG_INVALID",
      `The approved range '${entry.version}' for npm package ${entry.package} (${entry.source}) matches no version, ` +
        `so requests for it are refused; ask an operator to fix the whitelist entry`,
      { details },
    );
  }
  if (request.range === "") return entry.version;
  const requested = formatNpmRequest(request);
  const suggestion = `request e.g. '${entry.package}@${entry.version || "^1.0.0"}'`;
  if (npmRangeIsEmpty(request.range))
    throw violation(`Requested '${requested}' matches no version; ${suggestion}`, details);
  // node-semver lets a pre-release through a range that names one of the same version; the operator's range decides.
  if (npmRangeNamesPrerelease(request.range) && !npmRangeNamesPrerelease(entry.version)) {
    throw violation(
      `Requested '${requested}' names a pre-release, but the approved range '${entry.version || "*"}' for ` +
        `${entry.package} allows none; request a release`,
      details,
    );
  }
  // As for PyPI (the seed's semantics): the resolver gets both ranges, so only a request sharing no version is refused.
  const both = effective(request.range, entry.version);
  if (npmRangeIsEmpty(both)) {
    throw violation(
      `Requested '${requested}' has no version in common with the approved range '${entry.version}' for ` +
        `${entry.package}; ${suggestion}`,
      details,
    );
  }
  return both;
};

/** Step 3 for npm: is this package allowed for an agent of `maturity`, and within which range? */
export const evaluateNpm = (whitelist: Whitelist, request: NpmRequest, maturity: Maturity): NpmPolicyDecision => {
  const entry = whitelist.lookup(request.name, maturity, "npm");
  if (entry === undefined) throw notWhitelisted(whitelist, request.name, maturity);
  const effectiveRange = checkRange(request, entry);
  return { entry, request, effectiveRange, requiresApproval: entry.requires_approval };
};
