import { PackageGuardError } from "../errors.js";
import { invalidRequirement } from "../policy/invalid.js";
import { describeFailure, type RunResult } from "../util/exec.js";
import { displayUrl } from "./lockfile.js";

/** npm's own error lines ("npm error …"), without the pointer to its debug log, on one line. */
export const npmErrorText = (stderr: string, max = 500): string =>
  stderr
    .split("\n")
    .map((l) => l.replace(/^npm (?:error|ERR!)\s?/, "").trim())
    .filter((l) => l !== "" && !/complete log of this run|^A complete log/.test(l) && !/^\s*at /.test(l))
    .join(" ")
    .replace(/https?:\/\/[^\s'"]+/g, (url) => displayUrl(url))
    .slice(0, max);

const codeOf = (stderr: string): string | undefined => /npm (?:error|ERR!) code (\S+)/.exec(stderr)?.[1];

/**
 * An npm failure in words an agent or operator can act on. `step` is what npm was doing ("resolve", "install").
 * The refusals that come from our own isolation (npm tried git, or a URL outside the registry) are
 * INVALID_REQUIREMENT like the same specs found in a lockfile; everything else is INSTALL_FAILED.
 */
export const npmFailure = (
  result: RunResult,
  o: { step: "resolve" | "install"; registry: string; gitSentinel: string },
): PackageGuardError => {
  const what = o.step === "resolve" ? "Resolving the npm dependency tree" : "Installing the locked npm tree";
  if (result.canceled || result.timedOut || result.spawnError || result.signal) {
    const how = result.canceled ? "canceled" : describeFailure(result);
    const hint = result.spawnError ? " (set npm.npm to the npm executable)" : "";
    return new PackageGuardError("INSTALL_FAILED", `${what} failed: ${how}${hint}`, { details: { reason: o.step } });
  }
  const stderr = result.stderr;
  const code = codeOf(stderr);
  const cause = npmErrorText(stderr);
  if (stderr.includes(o.gitSentinel) || /unknown git error/i.test(stderr)) {
    return invalidRequirement(
      "vcs",
      "A package in the dependency tree depends on a git repository; package-guard installs registry packages only, " +
        "so this tree is refused (npm was not allowed to run git)",
      { ecosystem: "npm" },
    );
  }
  const fetched = /request to (\S+) failed/.exec(stderr)?.[1];
  if (fetched !== undefined && !fetched.startsWith(o.registry)) {
    return invalidRequirement(
      "url",
      `A package in the dependency tree depends on ${displayUrl(fetched)}, outside the configured registry; ` +
        `package-guard installs registry packages only, so this tree is refused`,
      { ecosystem: "npm", url: displayUrl(fetched) },
    );
  }
  if (code === "EUNSUPPORTEDPROTOCOL") {
    return invalidRequirement("npm-spec", `A package in the dependency tree uses a spec npm cannot fetch: ${cause}`, {
      ecosystem: "npm",
    });
  }
  if (code === "EINTEGRITY") {
    const name = /tarball data for (\S+?)@/.exec(stderr)?.[1];
    return new PackageGuardError(
      "INSTALL_FAILED",
      `The registry served bytes${name ? ` for ${name}` : ""} that do not match the sha512 integrity its metadata ` +
        `promised (EINTEGRITY); nothing was installed. The registry or a proxy in between may have been tampered with.`,
      { details: { reason: "integrity", ...(name ? { package: name } : {}) } },
    );
  }
  if (code === "ETARGET" || code === "E404") {
    const spec =
      /No matching version found for (\S+)\./.exec(stderr)?.[1] ?? /'(\S+)' is not in this registry/.exec(stderr)?.[1];
    return new PackageGuardError(
      "INSTALL_FAILED",
      spec
        ? `No version of ${spec} on ${displayUrl(o.registry)} (${code}); request a version the registry has`
        : `${what} failed on ${displayUrl(o.registry)}: ${cause}`,
      { details: { reason: "unsatisfiable", npmCode: code, ...(spec ? { spec } : {}) } },
    );
  }
  return new PackageGuardError("INSTALL_FAILED", `${what} failed: ${cause || describeFailure(result)}`, {
    details: { reason: o.step, ...(code ? { npmCode: code } : {}) },
  });
};
