import type { Maturity, PackageGuardConfig } from "../config.js";
import { PackageGuardError } from "../errors.js";
import type { VulnerabilityOverride } from "../policy/overrides.js";
import { mentionsPrerelease, specifierContains } from "../policy/ranges.js";
import type { Whitelist } from "../policy/whitelist.js";
import type { Pin, ReleaseFiles, SkillVenv, Wanted } from "../python/environment.js";
import type { ScanOutcome } from "../scan/scan-service.js";
import { pypiPins, type ScanPin } from "../scan/types.js";
import { sameVersion } from "../util/pep440.js";
import { handleDelisted, type DelistedAction } from "./delisted.js";
import { checkEnteringPins } from "./dependency-policy.js";
import { describeFindings, maliciousError } from "./results.js";
import type { ProgressFn, VulnerabilityFinding } from "./types.js";

export type Overridden = { finding: VulnerabilityFinding; override: VulnerabilityOverride };

export type PlanDeps = {
  config: PackageGuardConfig;
  scan(): Promise<{ scan(pins: ScanPin[], signal?: AbortSignal): Promise<ScanOutcome> }>;
  applyOverrides(
    skill: string,
    findings: VulnerabilityFinding[],
  ): Promise<{ blocking: VulnerabilityFinding[]; overridden: Overridden[] }>;
};

export type ChangeRequest = {
  operation: "install" | "uninstall";
  skill: string;
  /** The package the change is about: asked for (install) or removed (uninstall). */
  package: string;
  /** The skill's requirements after the change. */
  wanted: Wanted;
  /** What the venv holds now. */
  previous: { requirements: Wanted; pins: Pin[] };
  whitelist: Whitelist;
  maturity: Maturity;
  /** A dependency whose whitelist entry requires approval: the live grant, or a throw (APPROVAL_REQUIRED). */
  requireGrant(pin: Pin, specifier: string): Promise<{ id: string }>;
  onProgress?: ProgressFn | undefined;
};

export type ChangePlan = {
  pins: Pin[];
  wanted: Wanted;
  /** Null when nothing needed scanning (an uninstall brings nothing new). */
  scan: ScanOutcome | null;
  /** The index files of the checked pins (`name==version`), for the install record. */
  files: ReleaseFiles;
  overridden: Overridden[];
  delisted: DelistedAction[];
  /** Approval ids of the dependency grants this change used. */
  grants: string[];
};

type Violation = { package: string; version: string; allowed: string };

const violation = (v: Violation, why: string): PackageGuardError =>
  new PackageGuardError(
    "CONSTRAINT_VIOLATION",
    `The resolved set needs ${v.package}==${v.version}, outside its approved range ` +
      `'${v.allowed}'${why ? `, ${why}` : ""}`,
    { details: { package: v.package, version: v.version, allowed: v.allowed } },
  );

const pinViolations = (pins: readonly Pin[], whitelist: Whitelist, maturity: Maturity): Violation[] =>
  pins.flatMap((pin) => {
    const entry = whitelist.governing(pin.name, maturity);
    return entry &&
      entry.version !== "" &&
      !specifierContains(entry.version, pin.version, { prereleases: mentionsPrerelease(entry.version) })
      ? [{ package: pin.name, version: pin.version, allowed: entry.version }]
      : [];
  });

const samePin = (a: Pin, b: Pin): boolean => a.name === b.name && sameVersion(a.version, b.version);

/**
 * DESIGN step 4: a dependency that is itself on the whitelist must land inside its approved range too. The resolver
 * is free within `hold` at first; when it picks a version outside a range, it runs once more with those ranges as
 * constraints (pandas may want numpy>=1.26 while the whitelist says numpy<2: 1.26.4 satisfies both).
 */
const resolveWithinWhitelist = async (
  venv: SkillVenv,
  wanted: Wanted,
  hold: readonly Pin[],
  whitelist: Whitelist,
  maturity: Maturity,
  signal?: AbortSignal,
): Promise<Pin[]> => {
  const first = await venv.resolve(wanted, signal, { pins: hold });
  const violations = pinViolations(first, whitelist, maturity);
  if (violations.length === 0) return first;
  const ranges = Object.fromEntries(violations.map((v) => [v.package, v.allowed]));
  let second: Pin[];
  try {
    second = await venv.resolve(wanted, signal, { pins: hold, ranges });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw violation(violations[0]!, "and no resolution exists inside the approved range");
  }
  const still = pinViolations(second, whitelist, maturity);
  if (still.length > 0) throw violation(still[0]!, "");
  return second;
};

/**
 * An uninstall only takes away: the remaining requirements are resolved with every installed pin held exactly, and
 * the result must be a subset of what is there (with the hashes it was installed with). If the index cannot answer,
 * the uninstall fails and the venv stays as it is; it never falls back to a free resolve.
 */
const resolveRemoval = async (venv: SkillVenv, req: ChangeRequest, signal?: AbortSignal): Promise<Pin[]> => {
  const resolved = await venv.resolve(req.wanted, signal, { pins: req.previous.pins });
  const out: Pin[] = [];
  for (const pin of resolved) {
    const kept = req.previous.pins.find((p) => samePin(p, pin));
    if (!kept) {
      throw new PackageGuardError(
        "INSTALL_FAILED",
        `Removing ${req.package} would install ${pin.name}==${pin.version}, which the skill does not have; ` +
          `nothing was changed`,
        { details: { reason: "uninstall-adds", package: pin.name, version: pin.version } },
      );
    }
    out.push(pin.via ? { ...kept, via: pin.via } : kept);
  }
  return out;
};

/**
 * The one path every change to a venv takes (install, pre-install, uninstall): resolve within the whitelist, check
 * what would enter the venv, scan, and hand back exactly the pins to install. Rollback and recovery reinstall a set
 * that went through here before. Throws the denial when the change is not allowed; nothing is installed here.
 */
export const planChange = async (
  deps: PlanDeps,
  venv: SkillVenv,
  req: ChangeRequest,
  signal?: AbortSignal,
): Promise<ChangePlan> => {
  const { whitelist, maturity } = req;
  const delisted = handleDelisted(
    req.wanted,
    req.package,
    req.previous.pins,
    whitelist,
    maturity,
    deps.config.policy.delisted,
  );
  const request = { ...req, wanted: delisted.wanted };
  const pins =
    req.operation === "uninstall"
      ? await resolveRemoval(venv, request, signal)
      : await resolveWithinWhitelist(venv, request.wanted, delisted.hold, whitelist, maturity, signal);
  const entering = pins.filter((p) => !req.previous.pins.some((q) => samePin(p, q)));
  const grants = await checkEnteringPins(entering, {
    whitelist,
    maturity,
    requested: req.package,
    dependencies: deps.config.policy.dependencies,
    requireGrant: req.requireGrant,
  });
  // An install answers for the whole set it leaves behind; a removal only for what it brings (nothing, normally).
  const toScan = req.operation === "install" ? pins : entering;
  if (toScan.length === 0)
    return { pins, wanted: request.wanted, scan: null, files: {}, overridden: [], delisted: delisted.actions, grants };
  // 4b: yanked releases and releases inside the cooldown are refused, whatever the resolver made of them (an
  // install checks the whole set again, pins kept from earlier installs too; a removal only what it would bring).
  const files = await venv.checkReleases(toScan, signal);
  req.onProgress?.("scanning", `Scanning ${toScan.length} package(s) for known vulnerabilities`);
  const scan = await (await deps.scan()).scan(pypiPins(toScan), signal);
  // SECURITY: malware blocks whatever ignore rule or override exists (MALICIOUS), before vulnerabilities.
  if (scan.malware.length > 0) throw maliciousError(req.package, scan.malware);
  const { blocking, overridden } = await deps.applyOverrides(req.skill, scan.findings);
  if (blocking.length > 0) {
    throw new PackageGuardError(
      "VULNERABLE",
      `Installing ${req.package} would bring ${describeFindings(blocking)}. Request a fixed version, or ask an ` +
        `operator for an override (packages.overrides.add).`,
      { details: { package: req.package, vulnerabilities: blocking } },
    );
  }
  return { pins, wanted: request.wanted, scan, files, overridden, delisted: delisted.actions, grants };
};
