import { MATURITY_LEVELS } from "../config.js";
import { ERROR_SURFACE, PackageGuardError, toPackageGuardError } from "../errors.js";
import { ECOSYSTEMS } from "../scan/types.js";
import { doctorVia } from "../service/doctor.js";
import type { Services } from "../service/services.js";
import { APPROVAL_FILTERS, AUDIT_STATUSES, SBOM_FORMATS } from "../service/types.js";
import {
  ecosystemParam,
  enumParam,
  installRequestParams,
  intParam,
  isNpmRequest,
  npmInstallRequestParams,
  objectParam,
  rawParam,
  stringParam,
} from "./params.js";

type Scope = "operator.read" | "operator.write" | "operator.admin" | "operator.approvals";
type ErrorShape = { code: string; message: string; details?: unknown; retryable?: boolean };
type Respond = (ok: boolean, payload?: unknown, error?: ErrorShape) => void;
type Client = { connId?: string; authenticatedUserId?: string; connect?: { client?: { id?: string } } } | null;
type HandlerOptions = { params: Record<string, unknown>; respond: Respond; client: Client };
type Register = (method: string, handler: (opts: HandlerOptions) => Promise<void>, opts: { scope: Scope }) => void;

const clientIdentity = (client: Client): string | null =>
  client?.authenticatedUserId ?? client?.connect?.client?.id ?? client?.connId ?? null;

const invalidDecision = (): never => {
  throw new PackageGuardError("INVALID_REQUIREMENT", "Parameter 'decision' must be one of: approve, deny", {
    details: { reason: "parameter", parameter: "decision" },
  });
};

const invalidMode = (): never => {
  throw new PackageGuardError("INVALID_REQUIREMENT", "Parameter 'mode' must be one of: restore, rebuild, reset", {
    details: { reason: "parameter", parameter: "mode" },
  });
};
/** The shell gate's decision for one command (packages.shell.check, as `shell-check` on the command line). */
export type ShellCheck = (command: string, options: { agentId: string | null; workdir?: string }) => Promise<unknown>;

/**
 * Every method goes through one wrapper: parse, call one service method, map PackageGuardError. When the guard is
 * closed (an invalid plugin block), getService() rejects with CONFIG_INVALID and every method answers with it, except
 * packages.doctor, which reports each problem.
 */
export const registerGatewayMethods = (
  register: Register,
  getService: () => Promise<Services>,
  hostAgents: () => readonly string[] | null = () => null,
  shellCheck?: ShellCheck,
): string[] => {
  const methods: string[] = [];
  const unopened = (
    name: string,
    scope: Scope,
    run: (params: Record<string, unknown>, client: string | null) => Promise<unknown>,
  ) => {
    methods.push(name);
    register(
      name,
      async ({ params, respond, client }) => {
        try {
          respond(true, await run(params ?? {}, clientIdentity(client)));
        } catch (error) {
          const e = toPackageGuardError(error);
          const surface = ERROR_SURFACE[e.code];
          respond(false, undefined, {
            code: surface.gateway,
            message: e.message,
            details: { code: e.code, ...e.details },
            retryable: surface.retryable,
          });
        }
      },
      { scope },
    );
  };
  const method = (
    name: string,
    scope: Scope,
    run: (service: Services, params: Record<string, unknown>, client: string | null) => Promise<unknown>,
  ) => unopened(name, scope, async (params, client) => run(await getService(), params, client));

  method("packages.install", "operator.write", (s, p, client) => {
    const caller = { source: "rpc" as const, agentId: stringParam(p, "agentId") ?? null, client };
    return isNpmRequest(p)
      ? s.npm.install(npmInstallRequestParams(p), caller)
      : s.packages.install(installRequestParams(p), caller);
  });
  method("packages.uninstall", "operator.write", (s, p, client) =>
    isNpmRequest(p)
      ? s.npm.uninstall(
          { package: stringParam(p, "package", true), component: stringParam(p, "component", true) },
          { source: "rpc", client },
        )
      : s.packages.uninstall(
          { package: stringParam(p, "package", true), skill: stringParam(p, "skill", true) },
          { source: "rpc", client },
        ),
  );
  method("packages.installed", "operator.read", (s, p) =>
    ecosystemParam(p) === "npm"
      ? s.npm.installed(stringParam(p, "component"))
      : s.operator.installed(stringParam(p, "skill")),
  );
  method("packages.installations", "operator.read", (s, p) =>
    s.operator.installations({
      limit: intParam(p, "limit", 1, 500) ?? 100,
      package: stringParam(p, "package"),
      skillId: stringParam(p, "skill") ?? stringParam(p, "skillId"),
      agentId: stringParam(p, "agentId"),
      status: enumParam(p, "status", AUDIT_STATUSES),
      since: stringParam(p, "since"),
      ...(p.ecosystem === undefined ? {} : { ecosystem: ecosystemParam(p) }),
    }),
  );
  method("packages.whitelist.list", "operator.read", async (s, p) =>
    s.operator.whitelistList(
      enumParam(p, "maturity", MATURITY_LEVELS) ?? "student",
      stringParam(p, "category"),
      ecosystemParam(p),
    ),
  );
  method("packages.whitelist.add", "operator.admin", (s, p, client) => {
    const entry = objectParam(p, "entry");
    // `{entry: {..., ecosystem}}` or `{entry, ecosystem}`: the entry's own field wins.
    const withEcosystem =
      entry.ecosystem === undefined && p.ecosystem !== undefined ? { ...entry, ecosystem: ecosystemParam(p) } : entry;
    return s.operator.whitelistAdd(withEcosystem, { source: "rpc", client });
  });
  method("packages.whitelist.remove", "operator.admin", (s, p, client) =>
    s.operator.whitelistRemove(
      stringParam(p, "package", true),
      enumParam(p, "maturity", MATURITY_LEVELS),
      { source: "rpc", client },
      ecosystemParam(p),
    ),
  );
  method("packages.approvals.list", "operator.read", (s, p) =>
    s.operator.approvalsList(enumParam(p, "status", APPROVAL_FILTERS)),
  );
  method("packages.approvals.resolve", "operator.approvals", (s, p, client) => {
    const note = stringParam(p, "note");
    const ttlHours = intParam(p, "ttlHours", 1, 24 * 365);
    return s.operator.approvalsResolve(
      stringParam(p, "id", true),
      enumParam(p, "decision", ["approve", "deny"] as const) ?? invalidDecision(),
      { ...(ttlHours === undefined ? {} : { ttlHours }), ...(note === undefined ? {} : { note }) },
      { source: "rpc", client },
    );
  });
  method("packages.overrides.list", "operator.read", (s) => s.operator.overridesList());
  method("packages.overrides.add", "operator.approvals", (s, p, client) => {
    const o = objectParam(p, "override");
    const npm = ecosystemParam(o) === "npm";
    return s.operator.overridesAdd(
      {
        // npm overrides name a component (`component`, or `skill` for the same id).
        skill: npm ? (rawParam(o, "component") ?? rawParam(o, "skill")) : rawParam(o, "skill"),
        ...(npm ? { ecosystem: "npm" as const } : {}),
        package: rawParam(o, "package"),
        version: rawParam(o, "version"),
        advisories: o.advisories as string[],
        reason: rawParam(o, "reason"),
        expires: rawParam(o, "expires"),
      },
      { source: "rpc", client },
    );
  });
  method("packages.audit.verify", "operator.read", (s) => s.operator.verifyAudit());
  method("packages.audit.prune", "operator.admin", (s, p, client) =>
    s.operator.pruneAudit(stringParam(p, "before", true), { source: "rpc", client }),
  );
  // doctorVia opens the services itself, so a closed guard answers with its report instead of an error.
  unopened("packages.doctor", "operator.read", () => doctorVia(getService, hostAgents()));
  method("packages.advisories.status", "operator.read", (s) => s.operator.advisoriesStatus());
  method("packages.advisories.update", "operator.admin", (s, p, client) => {
    const from = stringParam(p, "from");
    const ecosystem = enumParam(p, "ecosystem", ECOSYSTEMS);
    return s.operator.advisoriesUpdate(
      { ...(from ? { from } : {}), ...(ecosystem ? { ecosystem } : {}), force: p.force === true },
      { source: "rpc", client },
    );
  });
  method("packages.exposure", "operator.read", (s, p) => {
    const skill = stringParam(p, "skill");
    return s.operator.exposure(skill === undefined ? {} : { skill });
  });
  method("packages.rescan", "operator.write", (s) => s.operator.rescan());
  method("packages.quarantine", "operator.admin", (s, p, client) =>
    s.operator.quarantine(rawParam(p, "skill"), stringParam(p, "reason"), { source: "rpc", client }),
  );
  method("packages.quarantine.release", "operator.admin", (s, p, client) =>
    s.operator.quarantineRelease(
      rawParam(p, "skill"),
      enumParam(p, "mode", ["restore", "rebuild", "reset"] as const) ?? invalidMode(),
      { source: "rpc", client },
    ),
  );
  method("packages.quarantine.list", "operator.read", (s) => s.operator.quarantineList());
  // The CycloneDX document itself, ready to store; the lock file as text beside its format.
  method("packages.sbom", "operator.read", async (s, p) => {
    const result = await s.operator.sbom(stringParam(p, "skill", true), enumParam(p, "format", SBOM_FORMATS));
    return result.format === "cyclonedx" ? result.bom : result;
  });
  if (shellCheck) {
    // The shell gate decides from the config alone, so it answers even when the guard is closed.
    unopened("packages.shell.check", "operator.read", (p) => {
      const workdir = stringParam(p, "workdir");
      return shellCheck(stringParam(p, "command", true), {
        agentId: stringParam(p, "agentId") ?? null,
        ...(workdir ? { workdir } : {}),
      });
    });
  }
  return methods;
};
