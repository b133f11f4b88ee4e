import { ECOSYSTEMS, type Ecosystem } from "../config.js";
import { PackageGuardError } from "../errors.js";
import type { NpmInstallRequest } from "../service/npm-pipeline.js";
import type { InstallRequest } from "../service/types.js";
import { isRecord } from "../util/is-record.js";

/** Reads one parameter of an untyped request (tool args, RPC params, CLI options) with a clear rejection. */
const read = (params: unknown, key: string): unknown =>
  typeof params === "object" && params !== null && Object.hasOwn(params, key)
    ? (params as Record<string, unknown>)[key]
    : undefined;

const invalid = (key: string, expected: string): PackageGuardError =>
  new PackageGuardError("INVALID_REQUIREMENT", `Parameter '${key}' must be ${expected}`, {
    details: { reason: "parameter", parameter: key },
  });

export function stringParam(params: unknown, key: string, required: true): string;
export function stringParam(params: unknown, key: string, required?: false): string | undefined;
export function stringParam(params: unknown, key: string, required = false): string | undefined {
  const value = read(params, key);
  if (value === undefined || value === null) {
    if (required) throw invalid(key, "a non-empty string");
    return undefined;
  }
  if (typeof value !== "string" || (required && value.length === 0)) throw invalid(key, "a non-empty string");
  return value;
}

export const intParam = (params: unknown, key: string, min: number, max: number): number | undefined => {
  const value = read(params, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(key, `an integer from ${min} to ${max}`);
  }
  return value;
};

export const enumParam = <T extends string>(params: unknown, key: string, allowed: readonly T[]): T | undefined => {
  const value = read(params, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value))
    throw invalid(key, `one of: ${allowed.join(", ")}`);
  return value as T;
};

export const objectParam = (params: unknown, key: string): Record<string, unknown> => {
  const value = read(params, key);
  if (!isRecord(value)) throw invalid(key, "an object");
  return value;
};

/**
 * A parameter the service validates itself (package, skill), passed on as it came, so that even a missing or
 * malformed one is refused by the service and so written to the audit log. Typed as the string it should be.
 */
export const rawParam = (params: unknown, key: string): string => read(params, key) as string;

// The seed's field names, so clients of the ported API migrate by changing the transport only.
const SEED_NAMES = { package: "package_name", version: "version_constraint", skill: "skill_id" } as const;

const either = (params: unknown, key: keyof typeof SEED_NAMES): unknown => {
  const ours = read(params, key);
  const seed = read(params, SEED_NAMES[key]);
  if (ours !== undefined && seed !== undefined && ours !== seed)
    throw invalid(key, `given once: '${key}' and '${SEED_NAMES[key]}' disagree`);
  return ours ?? seed;
};

// Bounded: the value comes straight from a caller and only ever lands in the audit log.
const shown = (value: unknown): string =>
  (typeof value === "string" ? value : (JSON.stringify(value) ?? String(value))).slice(0, 64);

/**
 * An install request as the tool and `packages.install` receive it: package and skill raw, version when given, in our
 * names or the seed's. The seed's `agent_maturity` is kept only to be written down: it never decides anything.
 */
export const installRequestParams = (params: unknown): InstallRequest => {
  const version = either(params, "version");
  const claimed = read(params, "agent_maturity");
  return {
    package: either(params, "package") as string,
    skill: either(params, "skill") as string,
    ...(version === undefined || version === null ? {} : { version: version as string }),
    // SECURITY: the maturity comes from configuration by agent id; what the caller claims is only audited.
    ...(claimed === undefined ? {} : { claimedMaturity: shown(claimed) }),
  };
};

/** `ecosystem`: "PyPI" (the default when absent) or "npm". */
export const ecosystemParam = (params: unknown): Ecosystem => enumParam(params, "ecosystem", ECOSYSTEMS) ?? "PyPI";

/**
 * Whether a request is for npm: `ecosystem: "npm"`, or (the seed's npm API) no ecosystem but a component instead of a
 * skill.
 */
export const isNpmRequest = (params: unknown): boolean => {
  const has = (key: string): boolean => read(params, key) !== undefined && read(params, key) !== null;
  if (has("ecosystem")) return ecosystemParam(params) === "npm";
  return (has("component") || has("component_id")) && !has("skill") && !has("skill_id");
};

/** An npm install request: `{package, version?, component}`, or the seed's `{package_name, version_constraint,
 * component_id}`. */
export const npmInstallRequestParams = (params: unknown): NpmInstallRequest => {
  const first = (...keys: string[]): unknown =>
    keys.map((k) => read(params, k)).find((v) => v !== undefined && v !== null);
  const version = first("version", "version_constraint") as string | undefined;
  return {
    package: first("package", "package_name") as string,
    component: first("component", "component_id") as string,
    ...(version === undefined ? {} : { version }),
  };
};
