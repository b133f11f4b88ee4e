import { PackageGuardError } from "../errors.js";
import { normalizeName } from "../policy/names.js";
import { describeFailure, type RunResult } from "../util/exec.js";
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

/** A resolver failure in words an agent can act on: which requirement, on which index, and why. */
export const resolveFailure = (result: RunResult, wanted: Wanted, indexUrl: string): PackageGuardError => {
  if (result.canceled || result.timedOut || result.spawnError || result.signal) {
    return new PackageGuardError(
      "INSTALL_FAILED",
      `Resolving dependencies failed: ${result.canceled ? "canceled" : describeFailure(result)}`,
      {
        details: { reason: "resolve" },
      },
    );
  }
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
    return new PackageGuardError("INSTALL_FAILED", `No version of ${name} satisfies ${spec} on ${indexUrl}: ${cause}`, {
      details: { reason: "unsatisfiable", package: name, index: indexUrl },
    });
  }
  return new PackageGuardError(
    "INSTALL_FAILED",
    `Could not resolve the requirements on ${indexUrl}: ${cause || describeFailure(result)}`,
    {
      details: { reason: "resolve", index: indexUrl },
    },
  );
};
