import { definePluginEntry } from "openclaw/plugin-sdk/plugin-entry";
import { resolveStateDir } from "openclaw/plugin-sdk/state-paths";
import { DEFAULT_SHELL, parseConfig } from "./config.js";
import { PythonEnvironment } from "./python/environment.js";
import { openGuard, openServices } from "./runtime.js";
import { EXEC_ENV } from "./service/exec-env.js";
import { readExposureReport } from "./service/exposure.js";
import { RescanScheduler } from "./service/rescan-scheduler.js";
import { installGate } from "./service/services.js";
import { GATED_TOOLS, guardPaths, ShellGate } from "./service/shell-gate.js";
import { createInstallApprovalGate } from "./surfaces/approval-gate.js";
import { hostAgentIds, loadCliConfig, loadHostAgents, pluginBlockOf } from "./surfaces/cli-context.js";
import { CLI_DESCRIPTOR } from "./surfaces/cli-descriptor.js";
import { buildCommands } from "./surfaces/cli/index.js";
import { registerGatewayMethods } from "./surfaces/gateway.js";
import { createBeforeInstallHandler } from "./surfaces/hooks.js";
import { createSecurityAuditCollector } from "./surfaces/security-audit.js";
import { createToolGate } from "./surfaces/tool-gate.js";
import { createToolFactories } from "./surfaces/tools.js";
import { createWidgetHook, SHOW_WIDGET } from "./surfaces/widget-hook.js";

// How often the background service looks for new advisory data (a cheap check) and a due scheduled re-scan.
const RESCAN_POLL_MS = 60_000;

export default definePluginEntry({
  id: "package-guard",
  name: "Package Guard",
  description:
    "Whitelisted, vulnerability-scanned Python packages for agent skills, installed into per-skill virtualenvs.",
  register(api) {
    // In "cli-metadata" registration the host forbids touching api.runtime (it throws); the SDK helper reads
    // the same OPENCLAW_STATE_DIR / home rules without it.
    let stateDir: string;
    try {
      stateDir = api.runtime.state.resolveStateDir();
    } catch {
      stateDir = resolveStateDir();
    }
    // SECURITY: a bad block must close the guard, not remove it. Throwing here would fail the plugin's load and leave
    // the gateway without install_package, the before_install hook or any refusal. So every surface is registered
    // and gets CONFIG_INVALID (naming each problem) from getServices() instead.
    const guard = openGuard(api.pluginConfig, stateDir, {
      logger: api.logger,
      // A copy of the chain's anchor outside the state dir: whoever rewrites the log cannot rewrite this.
      onAuditHead: (head) => api.logger.info(`package-guard: audit head seq=${head.seq} hash=${head.hash}`),
    });
    const { getServices } = guard;
    const config = guard.config;

    // The shell gate decides from the config alone; it needs the services only to record (fail closed without them).
    const shellGate = new ShellGate({
      shell: config?.shell ?? DEFAULT_SHELL,
      paths: guardPaths(config, stateDir),
      record: async (input) => (await getServices()).operator.record(input),
    });
    const toolGate = createToolGate({ gate: () => shellGate, logger: api.logger });
    api.on("before_tool_call", (event, ctx) => toolGate(event, ctx), { matcher: [...GATED_TOOLS], priority: 100 });
    api.on("resolve_exec_env", () => (shellGate.shell.execEnv ? { ...EXEC_ENV } : undefined));
    const installApprovals = createInstallApprovalGate({
      service: async () => (await getServices()).installApprovals,
      timeoutMs: () => config?.approvals.askTimeoutMs ?? DEFAULT_SHELL.approvalTimeoutMs,
      logger: api.logger,
    });
    api.on("before_tool_call", (event, ctx) => installApprovals.beforeToolCall(event, ctx), {
      matcher: ["install_package"],
    });
    const tools = createToolFactories(getServices, installApprovals);
    api.registerTool((ctx) => tools.installPackage(ctx), { name: "install_package" });
    api.registerTool((ctx) => tools.listPackages(ctx), { name: "list_packages" });
    registerGatewayMethods(
      (method, handler, opts) => api.registerGatewayMethod(method, handler as never, opts),
      getServices,
      () => hostAgentIds(api.config),
      async (command, options) => {
        const d = await shellGate.checkCommand(command, options);
        return { ...d, mode: shellGate.mode, findings: d.findings.map(({ packages: _p, ...f }) => f) };
      },
    );
    api.registerCli(
      ({ program, config: hostConfig }) => {
        buildCommands(program.command(CLI_DESCRIPTOR.name).description(CLI_DESCRIPTOR.description), {
          openService: (c) => openServices(c),
          loadConfig: (paths) =>
            paths.config || paths.stateDir
              ? loadCliConfig(paths)
              : Promise.resolve(parseConfig(pluginBlockOf(hostConfig), stateDir)),
          hostAgents: (paths) =>
            paths.config || paths.stateDir ? loadHostAgents(paths) : Promise.resolve(hostAgentIds(hostConfig)),
        });
      },
      { descriptors: [{ ...CLI_DESCRIPTOR }] },
    );
    const beforeInstall = createBeforeInstallHandler({
      getService: async () => installGate(await getServices()),
      logger: api.logger,
    });
    // Inline, so the SDK's (unexported) event and result types check this handler.
    api.on("before_install", (event) => beforeInstall(event));
    // A closed guard (no config) still gates widgets: the hook gets its CONFIG_INVALID and blocks.
    if (guard.config === null || guard.config.widgets.enabled) {
      const widgetHook = createWidgetHook({
        getGate: async () => (await getServices()).widgets,
        logger: api.logger,
        budgetMs: guard.config?.widgets.timeoutMs ?? 12_000,
      });
      api.on("before_tool_call", (event, ctx) => widgetHook(event, ctx), { matcher: [SHOW_WIDGET] });
    }
    // Reads files only (the re-scan result, quarantine markers), so it also answers in a process with no gateway.
    api.registerSecurityAuditCollector(
      createSecurityAuditCollector((c) =>
        readExposureReport(c, new PythonEnvironment(c, async () => Promise.reject(new Error("no processes")))),
      ),
    );
    let scheduler: RescanScheduler | undefined;
    api.registerService({
      id: "package-guard",
      async start(ctx) {
        // What would make installs fail is said at start, with what to do, not at the first refused install.
        if (guard.problem || !guard.config) {
          ctx.logger.error(guard.problem?.message ?? "package-guard is closed");
          return;
        }
        const config = guard.config;
        const rescanHours = config.scan.rescanHours;
        const services = await getServices();
        for (const line of await services.operator.startupProblems()) ctx.logger.error(line);
        const recovered = await services.packages.recover();
        if (recovered > 0) ctx.logger.warn(`package-guard: rolled back ${recovered} interrupted install(s)`);
        const components = (await services.npm.recover()).filter((r) => r.restored).length;
        if (components > 0) ctx.logger.warn(`package-guard: restored ${components} interrupted npm component(s)`);
        scheduler = new RescanScheduler({
          rescan: async (trigger) => {
            const summary = await services.exposure.rescan(trigger);
            if (summary.newFindings === 0) return;
            const malware = summary.maliciousSkills.length ? `; MALWARE in: ${summary.maliciousSkills.join(", ")}` : "";
            ctx.logger.warn(
              `package-guard: re-scan (${trigger}) found ${summary.newFindings} new finding(s); exposed skills: ` +
                `${summary.exposedSkills.join(", ")}${malware}`,
            );
          },
          currentVersion: () => services.exposure.currentVersion(),
          last: () => services.exposure.last(),
          everyMs: rescanHours * 3_600_000,
          log: ctx.logger,
        });
        scheduler.start(RESCAN_POLL_MS);
      },
      async stop() {
        await scheduler?.stop();
      },
    });
  },
});
