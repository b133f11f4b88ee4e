import type { Command } from "commander";
import { doctorVia } from "../../service/doctor.js";
import { printResult } from "../cli-output.js";
import { EXIT, reportError, withCommon, type CliKit, type CommonOptions } from "./kit.js";
import { doctorText } from "./views.js";

/** doctor: what will make installs fail, and how to fix it. Exit 0 healthy, 1 a problem, 2 an invalid plugin block. */
export const mountDoctor = (root: Command, { out, loadConfig, hostAgents, deps }: CliKit): void => {
  withCommon(root.command("doctor"))
    .description(
      "Health check: config, whitelist, tools, python, index, scanner, agents, npm; each problem and its fix",
    )
    .action(async (...args: unknown[]) => {
      const opts = (args[args.length - 1] as Command).optsWithGlobals() as CommonOptions;
      const paths = { config: opts.config, stateDir: opts.stateDir };
      try {
        const agents = await hostAgents(paths).catch(() => null);
        const report = await doctorVia(async () => deps.openService(await loadConfig(paths)), agents);
        printResult(out, opts.json === true, report, doctorText(report));
        process.exitCode = !report.configValid ? EXIT.usage : report.ok ? EXIT.ok : EXIT.denied;
      } catch (error) {
        reportError(out, opts.json === true, error);
      }
    });
};
