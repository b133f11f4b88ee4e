import { definePluginEntry } from "openclaw/plugin-sdk/plugin-entry";
import { resolveStateDir } from "openclaw/plugin-sdk/state-paths";
import { parseConfig } from "./config.js";
import { openServices } from "./runtime.js";
import { installGate, type Services } from "./service/services.js";
import { loadCliConfig, pluginBlockOf } from "./surfaces/cli-context.js";
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
    // A bad block fails the plugin's load (and so every install): closed, and loud in the gateway log.
    const config = parseConfig(api.pluginConfig, stateDir);
    let opened: Promise<Services> | undefined;
    const getServices = (): Promise<Services> =>
      (opened ??= openServices(config).catch((error: unknown) => {
        opened = undefined;
        throw error;
      }));

    const tools = createToolFactories(getServices);
    api.registerTool((ctx) => tools.installPackage(ctx), { name: "install_package" });
    api.registerTool((ctx) => tools.listPackages(ctx), { name: "list_packages" });
    registerGatewayMethods(
      (method, handler, opts) => api.registerGatewayMethod(method, handler as never, opts),
      getServices,
    );
    api.registerCli(
      ({ program, config: hostConfig }) => {
        buildCommands(program.command(CLI_DESCRIPTOR.name).description(CLI_DESCRIPTOR.description), {
          openService: (c) => openServices(c),
          loadConfig: (paths) =>
            paths.config || paths.stateDir
              ? loadCliConfig(paths)
              : Promise.resolve(parseConfig(pluginBlockOf(hostConfig), stateDir)),
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
    api.registerService({
      id: "package-guard",
      async start(ctx) {
        const services = await getServices();
        const recovered = await services.packages.recover();
        if (recovered > 0) ctx.logger.warn(`package-guard: rolled back ${recovered} interrupted install(s)`);
        const components = (await services.npm.recover()).filter((r) => r.restored).length;
        if (components > 0) ctx.logger.warn(`package-guard: restored ${components} interrupted npm component(s)`);
      },
    });
  },
});
