import type { Maturity } from "../config.js";
import { PackageGuardError } from "../errors.js";
import { invalidRequirement } from "./invalid.js";
import { suggestSimilar } from "./names.js";
import { intersectSpecifiers, mentionsPrerelease, specifierIsEmpty } from "./ranges.js";
import { formatRequirement, type ParsedRequirement } from "./requirement.js";
import type { Whitelist, WhitelistEntry } from "./whitelist.js";

export type PolicyDecision = {
  entry: WhitelistEntry;
  requirement: ParsedRequirement;
  /** request ∩ entry range, without redundant clauses: what the resolver gets. */
  effectiveSpecifier: string;
  requiresApproval: boolean;
};

const notWhitelisted = (whitelist: Whitelist, name: string, maturity: Maturity): PackageGuardError => {
  const approvedAt = whitelist.approvedAt(name);
  if (approvedAt !== undefined) {
    return new PackageGuardError(
      "NOT_WHITELISTED",
      `Package '${name}' is not approved for ${maturity} agents; approved at: ${approvedAt}`,
      {
        details: { package: name, maturity, approvedAt, hints: [] },
      },
    );
  }
  // Hints come from what this agent may install: suggesting a higher tier's package would only be denied again.
  const hints = suggestSimilar(
    name,
    whitelist.visibleAt(maturity).map((e) => e.package),
  );
  const advice =
    hints.length > 0 ? `Did you mean: ${hints.join(", ")}?` : "Ask an operator to add it (packages.whitelist.add).";
  return new PackageGuardError(
    "NOT_WHITELISTED",
    `Package '${name}' is not on the whitelist for ${maturity} agents. ${advice}`,
    {
      details: { package: name, maturity, hints },
    },
  );
};

const violation = (message: string, details: Record<string, unknown>): PackageGuardError =>
  new PackageGuardError("CONSTRAINT_VIOLATION", message, { details });

const checkExtras = (requirement: ParsedRequirement, entry: WhitelistEntry): void => {
  const extra = requirement.extras.filter((x) => !entry.extras.includes(x));
  if (extra.length === 0) return;
  const allowed = entry.extras.length > 0 ? entry.extras.join(", ") : "none";
  // SECURITY: extras pull in dependencies the operator did not list; only the entry's own extras are allowed.
  throw invalidRequirement(
    "extras-not-allowed",
    `Extras [${extra.join(", ")}] are not approved for ${entry.package} (allowed extras: ${allowed}); request ` +
      `'${entry.package}' without them or ask an operator to allow them`,
    { package: entry.package, extras: extra, allowedExtras: entry.extras },
  );
};

const checkRange = (requirement: ParsedRequirement, entry: WhitelistEntry): void => {
  const requested = formatRequirement(requirement);
  const details = { package: entry.package, requested: requirement.specifier, allowed: entry.version };
  if (specifierIsEmpty(entry.version)) {
    // The operator's entry is broken: nothing can be judged against it, so nothing passes (and doctor names it).
    throw new PackageGuardError(
      "CONFIG_INVALID",
      `The approved range '${entry.version}' for ${entry.package} (${entry.source}) matches no version, so requests ` +
        `for it are refused; ask an operator to fix the whitelist entry ('package-guard doctor' lists it)`,
      { details },
    );
  }
  if (requirement.specifier === "") return;
  const suggestion = `request e.g. '${entry.package}${entry.version}'`;
  if (specifierIsEmpty(requirement.specifier)) {
    throw violation(`Requested '${requested}' matches no version; ${suggestion}`, details);
  }
  // PEP 440 only considers pre-releases when a clause names one; the operator's range decides whether they are allowed.
  if (mentionsPrerelease(requirement.specifier) && !mentionsPrerelease(entry.version)) {
    throw violation(
      `Requested '${requested}' names a pre-release, but the approved range '${entry.version || "any"}' for ` +
        `${entry.package} allows none; request a final release`,
      details,
    );
  }
  // The seed's semantics: the resolver gets both ranges; only a request sharing no version with the entry is refused.
  if (specifierIsEmpty(intersectSpecifiers(requirement.specifier, entry.version))) {
    throw violation(
      `Requested '${requested}' has no version in common with the approved range '${entry.version}' for ` +
        `${entry.package}; ${suggestion}`,
      details,
    );
  }
};

/**
 * Step 3 of the pipeline: is this requirement allowed for an agent of `maturity`, and within which range?
 * Approval grants are the caller's business: `requiresApproval` says one is needed.
 */
export const evaluate = (whitelist: Whitelist, requirement: ParsedRequirement, maturity: Maturity): PolicyDecision => {
  const entry = whitelist.lookup(requirement.name, maturity);
  if (entry === undefined) throw notWhitelisted(whitelist, requirement.name, maturity);
  checkExtras(requirement, entry);
  checkRange(requirement, entry);
  return {
    entry,
    requirement,
    // No request specifier means the entry's range; otherwise both, so the resolver can never leave the entry's range.
    effectiveSpecifier: intersectSpecifiers(requirement.specifier, entry.version),
    requiresApproval: entry.requires_approval,
  };
};
