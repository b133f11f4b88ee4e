import type { Maturity } from "../config.js";
import { PackageGuardError } from "../errors.js";
import { normalizeName } from "../policy/names.js";
import type { Whitelist } from "../policy/whitelist.js";
import type { Pin } from "../python/environment.js";
import { sameVersion } from "../util/pep440.js";

/**
 * The policy for every pin a change brings into a venv besides the package that was asked for (whose own policy
 * step already ran): a package on the whitelist answers to its entry whether it was asked for or pulled in.
 * - visible at the agent's maturity, else NOT_WHITELISTED naming the dependency and what pulled it in;
 * - its entry's requires_approval needs a grant like a direct request (`requireGrant`);
 * - with policy.dependencies "whitelisted", a pin not on the whitelist at all is NOT_WHITELISTED too.
 * And for every entering pin: a local version (`1.0.0+evil`) only if the whitelist range names it exactly, since
 * advisories list public versions and would not match it.
 */
export type DependencyCheck = {
  whitelist: Whitelist;
  maturity: Maturity;
  /** The package this change is about; its own policy was decided before the resolve. */
  requested: string;
  dependencies: "scanned" | "whitelisted";
  requireGrant(pin: Pin, specifier: string): Promise<{ id: string }>;
};

const pulledInBy = (pin: Pin, requested: string): string =>
  pin.via && pin.via.length > 0 ? pin.via.join(", ") : requested;

const localVersionNamed = (range: string, version: string): boolean =>
  range
    .split(",")
    .map((c) => /^\s*===?\s*(\S+)\s*$/.exec(c)?.[1])
    .some((v) => v !== undefined && v.includes("+") && sameVersion(v.toLowerCase(), version.toLowerCase()));

const localVersion = (pin: Pin, whitelist: Whitelist, maturity: Maturity, requested: string): PackageGuardError => {
  const entry = whitelist.governing(pin.name, maturity);
  const allowed = entry?.version ?? null;
  return new PackageGuardError(
    "CONSTRAINT_VIOLATION",
    `The resolved set needs ${pin.name}==${pin.version} (for ${pulledInBy(pin, requested)}): a local version, which ` +
      `advisories do not list; it is only installed when the whitelist range names it exactly ` +
      `(e.g. '==${pin.version}')${allowed === null ? "" : `, and the range is '${allowed || "any"}'`}`,
    { details: { package: pin.name, version: pin.version, allowed, reason: "local-version" } },
  );
};

const notVisible = (pin: Pin, check: DependencyCheck, approvedAt: string | null): PackageGuardError => {
  const by = pulledInBy(pin, check.requested);
  const why =
    approvedAt !== null
      ? `is approved only from ${approvedAt} up, not for ${check.maturity} agents`
      : `is not on the whitelist, and policy.dependencies is 'whitelisted'`;
  return new PackageGuardError(
    "NOT_WHITELISTED",
    `Dependency '${pin.name}' (pulled in by ${by}) ${why}. Request something that does not need it, or ask an ` +
      `operator to approve ${pin.name} for ${check.maturity} agents.`,
    {
      details: {
        package: pin.name,
        dependencyOf: pin.via ?? [check.requested],
        requested: check.requested,
        maturity: check.maturity,
        ...(approvedAt !== null ? { approvedAt } : {}),
      },
    },
  );
};

/** Checks the entering pins; returns the approval ids of the dependency grants used. */
export const checkEnteringPins = async (entering: readonly Pin[], check: DependencyCheck): Promise<string[]> => {
  const grants: string[] = [];
  const { whitelist, maturity } = check;
  for (const pin of entering) {
    if (pin.version.includes("+")) {
      const range = whitelist.governing(pin.name, maturity)?.version ?? "";
      if (!localVersionNamed(range, pin.version)) throw localVersion(pin, whitelist, maturity, check.requested);
    }
    if (normalizeName(pin.name) === check.requested) continue;
    const entry = whitelist.lookup(pin.name, maturity);
    if (entry === undefined) {
      const approvedAt = whitelist.approvedAt(pin.name) ?? null;
      if (approvedAt !== null || check.dependencies === "whitelisted") throw notVisible(pin, check, approvedAt);
      continue;
    }
    if (entry.requires_approval) grants.push((await check.requireGrant(pin, entry.version)).id);
  }
  return grants;
};
