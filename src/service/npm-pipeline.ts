import type { Maturity } from "../config.js";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import type { NpmComponents, RecoveredComponent } from "../npm/components.js";
import { npmPurl } from "../npm/purl.js";
import type { InstalledNpmPackage, LockPackage, NpmWanted } from "../npm/types.js";
import type { Approval } from "../policy/approvals.js";
import { resolveMaturity } from "../policy/maturity.js";
import { evaluateNpm, type NpmPolicyDecision } from "../policy/npm-decide.js";
import { npmNameProblem } from "../policy/npm-names.js";
import { formatNpmRequest, parseNpmRequest } from "../policy/npm-request.js";
import type { VulnerabilityOverride } from "../policy/overrides.js";
import type { Whitelist } from "../policy/whitelist.js";
import type { ScanOutcome } from "../scan/scan-service.js";
import type { AdvisorySourceInfo } from "../scan/types.js";
import { applyOverrides } from "./apply-overrides.js";
import { checkTreePolicy, checkTreeRanges, npmPins, scanRefusal } from "./npm-tree.js";
import type { ServiceDeps } from "./pipeline.js";
import { approvalCheck, auditFromError, deniedCheck } from "./results.js";
import type { CallerContext, CheckResult, ProgressFn, VulnerabilityFinding } from "./types.js";
import { overallDecision, type VetItem, type VetResult, type VetSource } from "./vetting.js";
import { recordFailure, writeAhead } from "./write-ahead.js";

export type NpmInstallRequest = { package: string; version?: string; component: string };
export type NpmUninstallRequest = { package: string; component: string };

export type NpmInstallResult = {
  ecosystem: "npm";
  package: string;
  version: string;
  purl: string;
  component: string;
  installPath: string;
  /** Every package of the component's tree after the install (name, version and folder). */
  dependencies: { name: string; version: string; path: string }[];
  vulnerabilitiesFound: number;
  ignoredVulnerabilities: { id: string; package: string; version: string; reason: string; expires: string }[];
  /** Packages that declare lifecycle scripts; none of them ran. */
  scriptsNotRun: string[];
  scan: { scanner: string; fromCache: number; scanned: number; source: AdvisorySourceInfo };
  installedAt: string;
  durationMs: number;
};

/** A skill's node installers to vet: the npm packages OpenClaw would install globally for it. */
export type NpmVetInput = {
  /** The package-guard skill id: the approvals and overrides scope, and the audit records' skill. */
  skill: string;
  packages: string[];
  /** Default: config.hooks.maturity. */
  maturity?: Maturity;
  source: VetSource;
  client?: string | null;
};

type Overridden = { finding: VulnerabilityFinding; override: VulnerabilityOverride };

export type NpmServiceDeps = Pick<
  ServiceDeps,
  "config" | "whitelist" | "audit" | "scan" | "approvals" | "overrides" | "now"
> & {
  npm: NpmComponents;
};

// The audit record of a tree keeps at most this many packages by name (a tree may hold thousands).
const MAX_AUDITED_PACKAGES = 100;

/** The npm pipeline: the same steps as pipeline.ts (policy, resolve, check, scan, install, audit) for components. */
export class NpmPackageService {
  private readonly now: () => Date;

  constructor(private readonly deps: NpmServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The component id as installs use it (CONFIG_INVALID-free: INVALID_REQUIREMENT for a bad id). */
  validateComponent(id: unknown): string {
    return this.deps.npm.validateComponent(id);
  }

  /** Steps 1-3: parse and policy. */
  async decide(raw: unknown, version: unknown, maturity: Maturity): Promise<NpmPolicyDecision> {
    return evaluateNpm(await this.deps.whitelist.current(), parseNpmRequest(raw, version), maturity);
  }

  /**
   * Steps 1-3 without side effects, as the Python check: a package that needs approval is APPROVAL_REQUIRED unless a
   * live grant exists for the agent and component given (no pending approval is created: only an install asks).
   */
  async check(
    raw: string,
    who: { agentId?: string | null; maturity?: Maturity; component?: string },
  ): Promise<CheckResult> {
    const maturity = who.maturity ?? resolveMaturity(this.deps.config, who.agentId ?? undefined);
    try {
      const d = await this.decide(raw, undefined, maturity);
      const base = { package: d.request.name, specifier: d.effectiveRange, maturity };
      if (!d.requiresApproval) return { allowed: true, message: "Allowed", ...base, requiresApproval: false };
      const component = who.component === undefined ? undefined : this.deps.npm.validateComponent(who.component);
      const grant =
        component === undefined
          ? undefined
          : await this.deps.approvals.grantFor({
              agentId: who.agentId ?? null,
              skill: component,
              package: `npm:${d.request.name}`,
              specifier: d.effectiveRange,
            });
      return approvalCheck(base, grant, {
        what: `npm package '${d.request.name}'`,
        scopeKind: "component",
        scope: component,
        agentId: who.agentId ?? null,
      });
    } catch (error) {
      return deniedCheck(error, maturity);
    }
  }

  async install(
    request: NpmInstallRequest,
    caller: CallerContext,
    onProgress?: ProgressFn,
    signal?: AbortSignal,
  ): Promise<NpmInstallResult> {
    const started = this.now();
    const maturity =
      caller.source === "hook"
        ? this.deps.config.hooks.maturity
        : resolveMaturity(this.deps.config, caller.agentId ?? undefined);
    const base = {
      source: caller.source,
      ecosystem: "npm",
      agentId: caller.agentId ?? null,
      sessionKey: caller.sessionKey ?? null,
      client: caller.client ?? null,
      maturity,
      requested: typeof request.package === "string" ? request.package : String(request.package),
    };
    const component = typeof request.component === "string" ? request.component : null;
    let decision: NpmPolicyDecision | undefined;
    try {
      onProgress?.("checking", `Checking npm package ${base.requested} against the ${maturity} whitelist`);
      const id = this.deps.npm.validateComponent(request.component);
      decision = await this.decide(request.package, request.version, maturity);
      const grant = decision.requiresApproval ? await this.requireApproval(decision, maturity, id, caller) : undefined;
      const name = decision.request.name;
      const whitelist = await this.deps.whitelist.current();
      await writeAhead(this.deps.audit, {
        ...base,
        skillId: null,
        package: name,
        details: { operation: "install", component: id, purl: npmPurl(name) },
      });
      const result = await this.deps.npm.withComponent(id, async (session) => {
        const previous = await session.state();
        const wanted: NpmWanted = {
          ...previous.requirements,
          [name]: { range: decision!.effectiveRange, requestedAt: started.toISOString() },
        };
        onProgress?.(
          "resolving",
          `Resolving ${formatNpmRequest({ name, range: decision!.effectiveRange })} and its dependencies`,
        );
        const { packages, scan, overridden } = await this.checkTree(
          (w) => session.resolve(w, signal),
          { wanted, name, maturity, scope: id, whitelist, agentId: caller.agentId ?? null, source: caller.source },
          onProgress,
          signal,
        );
        onProgress?.("installing", `Installing ${packages.length} npm package(s) into component '${id}'`);
        const installed = await session.apply(wanted, signal);
        return { installed, scan, overridden, dir: session.dir };
      });
      const top = result.installed.find((p) => p.path === `node_modules/${name}`);
      if (!top) throw new PackageGuardError("INSTALL_FAILED", `${name} is not in component '${id}' after the install`);
      const out = this.result(top, id, result, started);
      await this.deps.audit.append({
        ...base,
        skillId: null,
        package: name,
        version: top.version,
        status: "completed",
        vulnerabilitiesFound: out.vulnerabilitiesFound,
        vulnerabilities: result.overridden.map((o) => o.finding.id),
        durationMs: out.durationMs,
        details: {
          component: id,
          purl: out.purl,
          packages: out.dependencies.length,
          tree: out.dependencies.slice(0, MAX_AUDITED_PACKAGES).map((d) => `${d.name}@${d.version}`),
          scriptsNotRun: out.scriptsNotRun,
          ignored: out.ignoredVulnerabilities,
          scan: out.scan,
          ...(grant ? { approvalId: grant.id } : {}),
        },
      });
      return out;
    } catch (error) {
      const e = toPackageGuardError(error);
      const named = decision?.request.name ?? (typeof e.details?.package === "string" ? e.details.package : null);
      // If even this cannot be written (the log is unavailable), the caller still gets the original error.
      await recordFailure(this.deps.audit, {
        ...base,
        package: named,
        ...auditFromError(e),
        details: { ...e.details, component, ...(named ? { purl: npmPurl(named) } : {}) },
        durationMs: this.now().getTime() - started.getTime(),
      });
      throw e;
    }
  }

  async uninstall(
    request: NpmUninstallRequest,
    caller: CallerContext,
  ): Promise<{ removed: string[]; component: string; package: string }> {
    const started = this.now();
    const base = {
      source: caller.source,
      ecosystem: "npm",
      agentId: caller.agentId ?? null,
      client: caller.client ?? null,
      requested: String(request.package),
    };
    let name: string | null = null;
    const component = typeof request.component === "string" ? request.component : null;
    try {
      const id = this.deps.npm.validateComponent(request.component);
      const problem = npmNameProblem(request.package);
      if (problem !== null)
        throw new PackageGuardError("INVALID_REQUIREMENT", `Not an npm package name: ${problem}`, {
          details: { reason: "name" },
        });
      name = request.package;
      await writeAhead(this.deps.audit, { ...base, package: name, details: { operation: "uninstall", component: id } });
      const removed = await this.deps.npm.withComponent(id, async (session) => {
        const previous = await session.state();
        if (!Object.hasOwn(previous.requirements, name!)) {
          throw new PackageGuardError(
            "NOT_FOUND",
            `npm package '${name}' was not installed by request in component '${id}'`,
            {
              details: { package: name, ecosystem: "npm", component: id },
            },
          );
        }
        const wanted = { ...previous.requirements };
        delete wanted[name!];
        // What stays was scanned when it was installed; removing a package adds nothing new to the tree.
        if (Object.keys(wanted).length > 0) await session.resolve(wanted);
        const after = await session.apply(wanted);
        const kept = new Set(after.map((p) => `${p.path}@${p.version}`));
        return previous.packages.filter((p) => !kept.has(`${p.path}@${p.version}`)).map((p) => p.name);
      });
      const gone = [...new Set(removed)].toSorted();
      await this.deps.audit.append({
        ...base,
        package: name,
        status: "uninstalled",
        durationMs: this.now().getTime() - started.getTime(),
        details: { component: id, purl: npmPurl(name), removed: gone.slice(0, MAX_AUDITED_PACKAGES) },
      });
      return { removed: gone, component: id, package: name };
    } catch (error) {
      const e = toPackageGuardError(error);
      await recordFailure(this.deps.audit, {
        ...base,
        package: name,
        ...auditFromError(e),
        details: { ...e.details, component },
        durationMs: this.now().getTime() - started.getTime(),
      });
      throw e;
    }
  }

  /**
   * Node installers of a skill (`metadata.openclaw.install[]` entries of kind node, which OpenClaw installs with
   * `npm install -g`): for each package the policy, resolve, lockfile checks and scan of an install, installing
   * nothing; one audit record per package (`status` vetted, approval_requested or blocked).
   */
  async vet(input: NpmVetInput, signal?: AbortSignal): Promise<VetResult> {
    const maturity = input.maturity ?? this.deps.config.hooks.maturity;
    const whitelist = await this.deps.whitelist.current();
    const items: VetItem[] = [];
    for (const raw of input.packages) items.push(await this.vetOne(raw, input, maturity, whitelist, signal));
    for (const item of items) {
      await this.deps.audit.append({
        source: input.source,
        client: input.client ?? null,
        ecosystem: "npm",
        skillId: input.skill,
        maturity,
        requested: item.requirement,
        package: item.package ?? null,
        version: item.version ?? null,
        status: !item.allowed ? "blocked" : item.requiresApproval ? "approval_requested" : "vetted",
        code: item.code ?? null,
        reason: item.message,
        vulnerabilitiesFound: item.findings?.length ?? 0,
        vulnerabilities: item.findings?.map((f) => f.id) ?? [],
        details: {
          vet: true,
          installer: "node",
          ...(item.package ? { purl: npmPurl(item.package, item.version) } : {}),
          ...(item.approvalId ? { approvalId: item.approvalId } : {}),
        },
      });
    }
    return { skill: input.skill, maturity, decision: overallDecision(items), items, problems: 0 };
  }

  installed(component?: string): Promise<InstalledNpmPackage[]> {
    return this.deps.npm.installed(component);
  }

  /** At start: put back components a crash left half-replaced, and account for each in the audit log. */
  async recover(): Promise<RecoveredComponent[]> {
    const recovered = await this.deps.npm.recoverInterrupted();
    for (const r of recovered) {
      await this.deps.audit.append({
        source: "system",
        status: "interrupted",
        ecosystem: "npm",
        reason: r.restored
          ? `A change to component '${r.component}' was interrupted; its previous tree was restored`
          : `A change to component '${r.component}' was interrupted and could not be cleaned up: ${r.problem}`,
        details: { component: r.component, restored: r.restored },
      });
    }
    return recovered;
  }

  /** Steps 4-5, shared by install and vet: resolve, check the tree against the whitelist, scan, overrides. */
  private async checkTree(
    resolve: (wanted: NpmWanted) => Promise<LockPackage[]>,
    o: {
      wanted: NpmWanted;
      name: string;
      maturity: Maturity;
      scope: string;
      whitelist: Whitelist;
      agentId: string | null;
      source: string;
    },
    onProgress?: ProgressFn,
    signal?: AbortSignal,
  ): Promise<{ packages: LockPackage[]; scan: ScanOutcome; overridden: Overridden[] }> {
    const packages = await resolve(o.wanted);
    checkTreeRanges(packages, o.whitelist, o.maturity);
    await checkTreePolicy(packages, {
      whitelist: o.whitelist,
      maturity: o.maturity,
      requested: Object.keys(o.wanted),
      dependencies: this.deps.config.policy.dependencies,
      requireGrant: (name, range) =>
        this.requireGrant(
          { agentId: o.agentId, skill: o.scope, package: `npm:${name}`, specifier: range },
          {
            name,
            maturity: o.maturity,
            reason: `${o.source} request: npm ${o.name} in '${o.scope}' pulls in ${name}`,
            dependencyOf: o.name,
          },
        ),
    });
    const pins = npmPins(packages);
    onProgress?.("scanning", `Scanning ${pins.length} npm package(s) for known vulnerabilities and malware`);
    const scan = await (await this.deps.scan()).scan(pins, signal);
    const { blocking, overridden } = await applyOverrides(this.deps.overrides, o.scope, scan.findings, this.now());
    const refusal = scanRefusal(o.name, scan, blocking);
    if (refusal) throw refusal;
    return { packages, scan, overridden };
  }

  private async vetOne(
    raw: string,
    input: NpmVetInput,
    maturity: Maturity,
    whitelist: Whitelist,
    signal?: AbortSignal,
  ): Promise<VetItem> {
    let name: string | undefined;
    try {
      const decision = await this.decide(raw, undefined, maturity);
      name = decision.request.name;
      const item: VetItem = {
        requirement: raw,
        allowed: true,
        message: "Allowed",
        requiresApproval: false,
        package: name,
      };
      const key = { agentId: null, skill: input.skill, package: `npm:${name}`, specifier: decision.effectiveRange };
      if (decision.requiresApproval && !(await this.deps.approvals.grantFor(key))) {
        const { approval } = await this.deps.approvals.request(key, {
          maturity,
          reason: `${input.source} vet of skill '${input.skill}' for npm ${raw}`,
        });
        return {
          ...item,
          code: "APPROVAL_REQUIRED",
          message:
            `npm package ${name} needs operator approval for skill '${input.skill}': approval ${approval.id} is ` +
            `pending (packages.approvals.resolve)`,
          requiresApproval: true,
          approvalId: approval.id,
        };
      }
      const wanted: NpmWanted = { [name]: { range: decision.effectiveRange, requestedAt: this.now().toISOString() } };
      const { packages } = await this.deps.npm.withScratch((resolve) =>
        this.checkTree((w) => resolve(w, signal), {
          wanted,
          name: name!,
          maturity,
          scope: input.skill,
          whitelist,
          agentId: null,
          source: input.source,
        }),
      );
      const top = packages.find((p) => p.path === `node_modules/${name}`);
      return top ? { ...item, version: top.version } : item;
    } catch (error) {
      const e = toPackageGuardError(error);
      const vulns = e.details?.vulnerabilities as VulnerabilityFinding[] | undefined;
      // A denial before the decision (not whitelisted, a bad range) still names the package when it could be parsed.
      const named = name ?? (typeof e.details?.package === "string" ? e.details.package : undefined);
      return {
        requirement: raw,
        allowed: false,
        code: e.code,
        message: e.message,
        requiresApproval: false,
        ...(named ? { package: named } : {}),
        ...(vulns ? { findings: vulns } : {}),
      };
    }
  }

  /**
   * A live grant for exactly this agent, component, npm package and range; otherwise a pending approval and
   * APPROVAL_REQUIRED naming it. `dependencyOf` when the package was pulled in rather than asked for.
   */
  private async requireGrant(
    key: { agentId: string | null; skill: string; package: string; specifier: string },
    about: { name: string; maturity: Maturity; reason: string; dependencyOf?: string },
  ): Promise<Approval> {
    const grant = await this.deps.approvals.grantFor(key);
    if (grant) return grant;
    const { approval, created } = await this.deps.approvals.request(key, {
      maturity: about.maturity,
      reason: about.reason,
    });
    const what =
      about.dependencyOf === undefined
        ? `npm package '${about.name}'`
        : `npm dependency '${about.name}' (pulled in by ${about.dependencyOf})`;
    throw new PackageGuardError(
      "APPROVAL_REQUIRED",
      `${what} needs operator approval before ${about.maturity} agents may install it into component ` +
        `'${key.skill}'. Approval ${approval.id} is ${created ? "now" : "already"} pending: an operator must ` +
        `approve it (packages.approvals.resolve), then retry the same request.`,
      {
        details: {
          package: about.name,
          ecosystem: "npm",
          ...(about.dependencyOf === undefined ? {} : { dependencyOf: about.dependencyOf }),
          component: key.skill,
          maturity: about.maturity,
          specifier: key.specifier,
          approvalId: approval.id,
        },
      },
    );
  }

  /** The requested package's grant. Approvals are shared with PyPI: an npm package is spelled npm:<name>. */
  private requireApproval(
    decision: NpmPolicyDecision,
    maturity: Maturity,
    component: string,
    caller: CallerContext,
  ): Promise<Approval> {
    const { name } = decision.request;
    const shown = formatNpmRequest({ name, range: decision.effectiveRange });
    return this.requireGrant(
      { agentId: caller.agentId ?? null, skill: component, package: `npm:${name}`, specifier: decision.effectiveRange },
      {
        name,
        maturity,
        reason: `${caller.source} request by ${caller.agentId ?? caller.client ?? "an operator"} for npm ${shown}`,
      },
    );
  }

  private result(
    top: LockPackage,
    component: string,
    r: {
      installed: LockPackage[];
      scan: ScanOutcome;
      overridden: Overridden[];
      dir: string;
    },
    started: Date,
  ): NpmInstallResult {
    return {
      ecosystem: "npm",
      package: top.name,
      version: top.version,
      purl: npmPurl(top.name, top.version),
      component,
      installPath: r.dir,
      dependencies: r.installed.map((p) => ({ name: p.name, version: p.version, path: p.path })),
      vulnerabilitiesFound: r.overridden.length,
      ignoredVulnerabilities: [
        ...r.scan.ignored.map((i) => ({
          id: i.finding.id,
          package: i.finding.package,
          version: i.finding.version,
          reason: i.rule.reason,
          expires: i.rule.expires,
        })),
        ...r.overridden.map(({ finding, override }) => ({
          id: finding.id,
          package: finding.package,
          version: finding.version,
          reason: `override ${override.id}: ${override.reason}`,
          expires: override.expires,
        })),
      ],
      scriptsNotRun: r.installed.filter((p) => p.hasInstallScript).map((p) => `${p.name}@${p.version}`),
      scan: {
        scanner: r.scan.scannerId,
        fromCache: r.scan.fromCache,
        scanned: r.scan.scanned,
        source: r.scan.source,
      },
      installedAt: this.now().toISOString(),
      durationMs: this.now().getTime() - started.getTime(),
    };
  }
}
