import type { Maturity } from "../config.js";
import { PackageGuardError } from "../errors.js";
import { suggestSimilarNpm } from "./npm-names.js";
import { intersectNpmRanges, npmRangeIsEmpty, npmRangeWithin } from "./npm-range.js";
import { formatNpmRequest, type NpmRequest } from "./npm-request.js";
import type { Whitelist, WhitelistEntry } from "./whitelist.js";

export type NpmPolicyDecision = {
  entry: WhitelistEntry;
  request: NpmRequest;
  /** What the resolver gets: the request's range (inside the entry's), else the entry's ("" = any version). */
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

const checkRange = (request: NpmRequest, entry: WhitelistEntry): void => {
  const details = { package: entry.package, ecosystem: "npm", requested: request.range, allowed: entry.version };
  if (entry.version !== "" && npmRangeIsEmpty(entry.version)) {
    throw new PackageGuardError(
      "CONSTRAINT_VIOLATION",
      `The approved range '${entry.version}' for ${entry.package} matches no version; ask an operator to fix the ` +
        `whitelist entry`,
      { details },
    );
  }
  if (request.range === "") return;
  if (npmRangeIsEmpty(request.range)) {
    throw new PackageGuardError(
      "CONSTRAINT_VIOLATION",
      `Requested '${formatNpmRequest(request)}' matches no version; request e.g. ` +
        `'${entry.package}@${entry.version || "^1.0.0"}'`,
      { details },
    );
  }
  // node-semver's subset: a range naming a pre-release is only inside one that names pre-releases of that version too.
  if (!npmRangeWithin(request.range, entry.version)) {
    const both = intersectNpmRanges(request.range, entry.version);
    const suggestion = npmRangeIsEmpty(both) ? "" : `; request e.g. '${entry.package}@${both}'`;
    throw new PackageGuardError(
      "CONSTRAINT_VIOLATION",
      `Requested '${formatNpmRequest(request)}' is outside the approved range '${entry.version}' for ` +
        `${entry.package}${suggestion}`,
      { details },
    );
  }
};

/** Step 3 for npm: is this package allowed for an agent of `maturity`, and within which range? */
export const evaluateNpm = (whitelist: Whitelist, request: NpmRequest, maturity: Maturity): NpmPolicyDecision => {
  const entry = whitelist.lookup(request.name, maturity, "npm");
  if (entry === undefined) throw notWhitelisted(whitelist, request.name, maturity);
  checkRange(request, entry);
  return {
    entry,
    request,
    effectiveRange: request.range === "" ? entry.version : request.range,
    requiresApproval: entry.requires_approval,
  };
};
