import type { Command } from "commander";
import { MATURITY_LEVELS } from "../../config.js";
import { PackageGuardError } from "../../errors.js";
import { EXIT, exitFor, parseMaturity, withCommon, type CliKit, type CommonOptions } from "./kit.js";
import { installedTable } from "./views.js";

/** check, install, uninstall and installed: the pipeline from the command line */
export const mountPackages = (root: Command, { run }: CliKit): void => {
  withCommon(root.command("check <requirement>"))
    .description("Decide a request without installing anything (whitelist and grammar only; no network)")
    .option("--agent <id>", "the agent whose configured maturity applies")
    .option("--maturity <level>", `a maturity level: ${MATURITY_LEVELS.join(", ")}`)
    .option("--skill <id>", "for a package that needs approval: the skill whose live grant counts")
    .action(
      run(async (service, opts, requirement) => {
        const o = opts as CommonOptions & { agent?: string; maturity?: string; skill?: string };
        if ((o.agent === undefined) === (o.maturity === undefined)) {
          throw new PackageGuardError(
            "CONFIG_INVALID",
            "check needs exactly one of --agent <id> or --maturity <level>",
          );
        }
        const result = await service.packages.check(requirement ?? "", {
          ...(o.maturity !== undefined ? { maturity: parseMaturity(o.maturity) } : { agentId: o.agent ?? null }),
          ...(o.skill !== undefined ? { skill: o.skill } : {}),
        });
        const human = result.allowed
          ? `ALLOWED ${result.package}${result.specifier ? ` ${result.specifier}` : ""} for ${result.maturity} ` +
            `agents${result.approvalId ? ` (approval ${result.approvalId})` : ""}`
          : `DENIED ${result.code}: ${result.message}`;
        return { value: result, human, exit: result.allowed ? EXIT.ok : exitFor(result.code) };
      }),
    );

  withCommon(root.command("install <requirement>"))
    .description("Install through the whole pipeline, as the install_package tool does")
    .requiredOption("--skill <id>", "skill whose virtualenv receives the package")
    .option("--agent <id>", "agent whose configured maturity applies (default: the default maturity)")
    .option("--version <range>", "version range")
    .action(
      run(async (service, opts, requirement) => {
        const o = opts as CommonOptions & { skill: string; agent?: string; version?: string };
        const result = await service.packages.install(
          { package: requirement ?? "", skill: o.skill, ...(o.version ? { version: o.version } : {}) },
          { source: "cli", agentId: o.agent ?? null, client: "cli" },
        );
        return { value: result, human: `Installed ${result.package}==${result.version} into ${result.installPath}` };
      }),
    );

  withCommon(root.command("uninstall <package>"))
    .description("Remove a package (and dependencies nothing else needs) from a skill's virtualenv")
    .requiredOption("--skill <id>", "skill id")
    .action(
      run(async (service, opts, pkg) => {
        const result = await service.packages.uninstall(
          { package: pkg ?? "", skill: (opts as { skill: string }).skill },
          { source: "cli", client: "cli" },
        );
        return { value: result, human: `Removed: ${result.removed.join(", ") || "nothing"}` };
      }),
    );

  withCommon(root.command("installed"))
    .description("What is really installed in each skill's virtualenv")
    .option("--skill <id>", "only this skill")
    .action(
      run(async (service, opts) => {
        const packages = await service.operator.installed((opts as { skill?: string }).skill);
        return { value: packages, human: installedTable(packages) };
      }),
    );
};
