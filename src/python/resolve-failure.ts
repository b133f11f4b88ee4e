import { PackageGuardError } from "../errors.js";
import { cooldownFor, type Cooldowns } from "../policy/cooldown.js";
import { normalizeName } from "../policy/names.js";
import { describeFailure, type RunResult } from "../util/exec.js";
import { redactUrl } from "../util/redact.js";
import { errorText } from "./stderr-text.js";
import type { Wanted } from "./types.js";

// uv: "cause: Because there is no version of x==9 and …" / "Because x was not found in the package registry …"
const NO_VERSION = new RegExp(
  [
    "there is no version of ([A-Za-z0-9._-]+)",
    "([A-Za-z0-9._-]+) was not found in the package registry",
    "only ([A-Za-z0-9._-]+)[<>=!~][^\\s]* (?:is|are) available",
  ].join("|"),
  "i",
);
// pip: "No matching distribution found for x==9"
const PIP_NO_MATCH = /No matching distribution found for ([A-Za-z0-9._-]+)/i;
// uv's hint when the cooldown hid what was asked for: "`x` was filtered by `exclude-newer` to only include packages
// uploaded before <cutoff>. The requested version, v2.0.0, was published at <time>." (or "The latest version
// satisfying the requirement is v2.0.0.")
const FILTERED = /`([A-Za-z0-9._-]+)` was filtered by `exclude-newer`/;
const PUBLISHED = /The requested version, v?(\S+), was published at (\S+?)\.?(?:\s|$)/;
const LATEST = /The latest version satisfying the requirement is v?(\S+?)\.?(?:\s|$)/;
const UNDATED = /is missing an upload date/;
// uv refuses a yanked release itself unless it is asked for with a bare '==': "Because x==1.1.0 was yanked (reason:
// broken build) and you require x==1.1.0, …".
const YANKED_CAUSE = /([A-Za-z0-9._-]+)==(\S+) was yanked(?: \(reason: (.*?)\))?(?: and|,|\.|$)/m;

/** The same refusal as the release check's, whichever of the two saw the yanked release first. */
const yanked = (stderr: string): PackageGuardError | null => {
  const m = YANKED_CAUSE.exec(stderr);
  if (!m) return null;
  const pkg = normalizeName(m[1]!);
  const reason = m[3] ?? "no reason given";
  return new PackageGuardError(
    "YANKED",
    `The resolved set includes ${pkg} ${m[2]}, yanked from the index (reason: ${JSON.stringify(reason)}). A yanked ` +
      `release is never installed, even when pinned with '==': request another version.`,
    { details: { package: pkg, yanked: [{ package: pkg, version: m[2], reason }] } },
  );
};

/** The cooldown kept back every release that would do: TOO_NEW, saying when and how to get past it. */
const tooNew = (stderr: string, cooldowns: Cooldowns, index: string): PackageGuardError | null => {
  const name = FILTERED.exec(stderr)?.[1];
  if (name === undefined) return null;
  const pkg = normalizeName(name);
  if (UNDATED.test(stderr)) {
    // Every file without a PEP 700 upload time is hidden by the cooldown: an index problem, not this package's.
    return new PackageGuardError(
      "INSTALL_FAILED",
      `The package index ${index} gives no upload times (PEP 700), so the release cooldown (index.excludeNewer) ` +
        `cannot date any release of ${pkg}: serve the index with PEP 691 JSON, or set index.excludeNewer to false`,
      { details: { reason: "index-undated", package: pkg, index } },
    );
  }
  const published = PUBLISHED.exec(stderr);
  const latest = LATEST.exec(stderr);
  const version = published?.[1] ?? latest?.[1];
  const cooldown = cooldownFor(cooldowns, pkg);
  const what = version ? `${pkg} ${version}` : `every matching release of ${pkg}`;
  return new PackageGuardError(
    "TOO_NEW",
    `${what}${published ? ` was uploaded at ${published[2]}, and` : ""} is inside the release cooldown ` +
      `(index.excludeNewer: ${cooldown?.spec ?? "set"}): no release uploaded earlier satisfies the request. Request ` +
      `an older version, retry once the cooldown has passed, or ask an operator for an exception ` +
      `(index.excludeNewerPackages).`,
    { details: { package: pkg, ...(version ? { version } : {}), ...(published ? { uploadedAt: published[2] } : {}) } },
  );
};

/** A resolver failure in words an agent can act on: which requirement, on which index, and why. */
export const resolveFailure = (
  result: RunResult,
  wanted: Wanted,
  indexUrl: string,
  cooldowns?: Cooldowns,
): PackageGuardError => {
  const index = redactUrl(indexUrl);
  if (result.canceled || result.timedOut || result.spawnError || result.signal) {
    return new PackageGuardError(
      "INSTALL_FAILED",
      `Resolving dependencies failed: ${result.canceled ? "canceled" : describeFailure(result)}`,
      {
        details: { reason: "resolve" },
      },
    );
  }
  const refused = yanked(result.stderr) ?? (cooldowns ? tooNew(result.stderr, cooldowns, index) : null);
  if (refused) return refused;
  const cause = errorText(result.stderr, true);
  const match = NO_VERSION.exec(cause) ?? PIP_NO_MATCH.exec(cause);
  const raw = match ? (match[1] ?? match[2] ?? match[3] ?? "") : "";
  const name = normalizeName(raw).replace(/[<>=!~].*$/, "");
  if (match && name) {
    const requested = wanted[name];
    const spec = requested
      ? requested.specifier === ""
        ? "any version"
        : `'${requested.specifier}'`
      : "the versions its dependents need";
    return new PackageGuardError("INSTALL_FAILED", `No version of ${name} satisfies ${spec} on ${index}: ${cause}`, {
      details: { reason: "unsatisfiable", package: name, index },
    });
  }
  return new PackageGuardError(
    "INSTALL_FAILED",
    `Could not resolve the requirements on ${index}: ${cause || describeFailure(result)}`,
    {
      details: { reason: "resolve", index },
    },
  );
};
