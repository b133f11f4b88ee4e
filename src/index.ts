import { definePluginEntry } from "openclaw/plugin-sdk/plugin-entry";
import { resolveStateDir } from "openclaw/plugin-sdk/state-paths";
import { parseConfig } from "./config.js";
import { openGuard, openServices } from "./runtime.js";
import { hostAgentIds, loadCliConfig, loadHostAgents, pluginBlockOf } from "./surfaces/cli-context.js";
import { CLI_DESCRIPTOR } from "./surfaces/cli-descriptor.js";
import { buildCommands } from "./surfaces/cli/index.js";
import { registerGatewayMethods } from "./surfaces/gateway.js";
import { createBeforeInstallHandler } from "./surfaces/hooks.js";
import { createToolFactories } from "./surfaces/tools.js";

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
    const guard = openGuard(api.pluginConfig, stateDir, { logger: api.logger });
    const { getServices } = guard;

    const tools = createToolFactories(getServices);
    api.registerTool((ctx) => tools.installPackage(ctx), { name: "install_package" });
    api.registerTool((ctx) => tools.listPackages(ctx), { name: "list_packages" });
    registerGatewayMethods(
      (method, handler, opts) => api.registerGatewayMethod(method, handler as never, opts),
      getServices,
      () => hostAgentIds(api.config),
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
      getService: async () => (await getServices()).packages,
      logger: api.logger,
    });
    // Inline, so the SDK's (unexported) event and result types check this handler.
    api.on("before_install", (event) => beforeInstall(event));
    api.registerService({
      id: "package-guard",
      async start(ctx) {
        // What would make installs fail is said at start, with what to do, not at the first refused install.
        if (guard.problem) {
          ctx.logger.error(guard.problem.message);
          return;
        }
        const services = await getServices();
        for (const line of await services.operator.startupProblems()) ctx.logger.error(line);
        const recovered = await services.packages.recover();
        if (recovered > 0) ctx.logger.warn(`package-guard: rolled back ${recovered} interrupted install(s)`);
      },
    });
  },
});
