import { Type } from "typebox";
import { ERROR_SURFACE, type PackageGuardError, toPackageGuardError } from "../errors.js";
import type { NpmInstallResult } from "../service/npm-pipeline.js";
import type { Services } from "../service/services.js";
import type { InstallResult, WhitelistView } from "../service/types.js";
import { ecosystemParam, installRequestParams, isNpmRequest, npmInstallRequestParams, stringParam } from "./params.js";

export const TOOL_NAMES = ["install_package", "list_packages"] as const;

type ToolContext = { agentId?: string; sessionKey?: string };
type TextResult<T> = { content: { type: "text"; text: string }[]; details: T };
type UpdateFn = (partial: TextResult<{ stage: string }>) => void;

const InstallParams = Type.Object(
  {
    package: Type.String({
      description:
        "Package name with optional extras and version range, e.g. 'pandas>=2,<3'; for npm 'lodash@^4.17.21'",
    }),
    version: Type.Optional(Type.String({ description: "Optional version range, e.g. '>=2.0,<3' (npm: '^4.17.21')" })),
    skill: Type.Optional(
      Type.String({ description: "Python: id of the skill whose virtualenv receives the package, e.g. 'data-viz'" }),
    ),
    ecosystem: Type.Optional(Type.Enum(["PyPI", "npm"], { description: "PyPI (default) or npm" })),
    component: Type.Optional(
      Type.String({
        description: "npm: id of the canvas component whose folder receives the package, e.g. 'dashboard'",
      }),
    ),
  },
  { additionalProperties: false },
);

const ListParams = Type.Object(
  {
    category: Type.Optional(Type.String({ description: "Only this category, e.g. 'data-science'" })),
    ecosystem: Type.Optional(
      Type.Enum(["PyPI", "npm"], {
        description: "PyPI (default): Python packages; npm: packages for canvas components",
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * Agents see the code first, so they can tell a denial they can fix from one an operator must. The host passes
 * the message of errors named ToolInputError / ToolAuthorizationError through to the caller (anything else
 * becomes "tool execution failed"), so every one of ours is one of the two.
 */
export class ToolError extends Error {
  readonly code: string;
  readonly details: unknown;
  readonly status: number;
  constructor(error: PackageGuardError) {
    super(`[${error.code}] ${error.message}`);
    const http = ERROR_SURFACE[error.code].http;
    this.name = http === 403 ? "ToolAuthorizationError" : "ToolInputError";
    this.status = http;
    this.code = error.code;
    this.details = error.details;
  }
}

const summarizeInstall = (r: InstallResult): string => {
  const deps = r.dependencies.filter((d) => d.name !== r.package).map((d) => `${d.name}==${d.version}`);
  return [
    `Installed ${r.package}==${r.version} into skill '${r.skill}'.`,
    `Run the skill's code with: ${r.python}`,
    deps.length > 0 ? `Dependencies: ${deps.join(", ")}` : "No further dependencies.",
    `Known vulnerabilities: ${r.vulnerabilitiesFound}.`,
  ].join("\n");
};

const summarizeNpmInstall = (r: NpmInstallResult): string => {
  const deps = r.dependencies
    .filter((d) => d.path !== `node_modules/${r.package}`)
    .map((d) => `${d.name}@${d.version}`);
  return [
    `Installed npm package ${r.package}@${r.version} into component '${r.component}' (${r.installPath}).`,
    deps.length > 0
      ? `Dependencies: ${deps.slice(0, 50).join(", ")}${deps.length > 50 ? ", …" : ""}`
      : "No further dependencies.",
    r.scriptsNotRun.length > 0 ? `Install scripts were not run for: ${r.scriptsNotRun.join(", ")}` : "",
    `Known vulnerabilities: ${r.vulnerabilitiesFound}.`,
  ]
    .filter(Boolean)
    .join("\n");
};

const summarizeList = (maturity: string, ecosystem: string, entries: WhitelistView[]): string =>
  entries.length === 0
    ? `No ${ecosystem} packages are approved for ${maturity} agents.`
    : [
        `${ecosystem} packages approved for ${maturity} agents (install with install_package):`,
        ...entries.map(
          (e) =>
            `- ${e.package} ${e.version || "(any version)"}` +
            `${e.category ? ` [${e.category}]` : ""}${e.requires_approval ? " (needs operator approval)" : ""}` +
            `${e.description ? ` — ${e.description}` : ""}`,
        ),
      ].join("\n");

/** Called around each install: wait for an approval answer to be written, then end an allow-once grant. */
export type InstallHooks = {
  settle?: (toolCallId: string) => Promise<void>;
  finish?: (toolCallId: string) => Promise<void>;
};

/** Tool factories: the agent id comes from the host's tool context, never from the arguments. */
export const createToolFactories = (getService: () => Promise<Services>, hooks: InstallHooks = {}) => {
  const installPackage = (ctx: ToolContext) => ({
    name: "install_package",
    label: "Install package",
    description:
      "Install an approved Python package (and its dependencies) into a skill's own virtualenv, or with " +
      "ecosystem 'npm' an approved npm package into a canvas component's own folder. " +
      "The package must be on the whitelist for your maturity level; it is scanned for known vulnerabilities first. " +
      "On denial the error starts with a code such as [NOT_WHITELISTED] or [APPROVAL_REQUIRED].",
    parameters: InstallParams,
    async execute(toolCallId: string, params: unknown, signal?: AbortSignal, onUpdate?: UpdateFn) {
      try {
        // The host does not validate tool arguments against `parameters`; every surface reads them itself.
        const caller = { source: "tool" as const, agentId: ctx.agentId ?? null, sessionKey: ctx.sessionKey ?? null };
        const progress = (stage: string, message: string) =>
          onUpdate?.({ content: [{ type: "text", text: message }], details: { stage } });
        if (isNpmRequest(params)) {
          const request = npmInstallRequestParams(params);
          await hooks.settle?.(toolCallId);
          const result = await (await getService()).npm.install(request, caller, progress, signal);
          return { content: [{ type: "text" as const, text: summarizeNpmInstall(result) }], details: result };
        }
        const request = installRequestParams(params);
        await hooks.settle?.(toolCallId);
        const service = await getService();
        const result = await service.packages.install(request, caller, progress, signal);
        return { content: [{ type: "text" as const, text: summarizeInstall(result) }], details: result };
      } catch (error) {
        throw new ToolError(toPackageGuardError(error));
      } finally {
        await hooks.finish?.(toolCallId);
      }
    },
  });

  const listPackages = (ctx: ToolContext) => ({
    name: "list_packages",
    label: "List installable packages",
    description:
      "List the packages you may install with install_package: names, approved version ranges, categories, and " +
      "which ones need operator approval. Python packages by default; ecosystem 'npm' lists npm packages for canvas " +
      "components.",
    parameters: ListParams,
    async execute(_toolCallId: string, params: unknown) {
      try {
        const category = stringParam(params, "category");
        const ecosystem = ecosystemParam(params);
        const service = await getService();
        const view = await service.operator.listForAgent(ctx.agentId ?? null, category, ecosystem);
        return {
          content: [{ type: "text" as const, text: summarizeList(view.maturity, view.ecosystem, view.packages) }],
          details: view,
        };
      } catch (error) {
        throw new ToolError(toPackageGuardError(error));
      }
    },
  });

  return { installPackage, listPackages };
};
