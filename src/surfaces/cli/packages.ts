import type { Command } from "commander";
import { MATURITY_LEVELS } from "../../config.js";
import { PackageGuardError } from "../../errors.js";
import { EXIT, exitFor, parseEcosystem, parseMaturity, withCommon, type CliKit, type CommonOptions } from "./kit.js";
import { installedTable, npmInstalledTable } from "./views.js";

const ECOSYSTEM_HELP = "PyPI (default) or npm";

const usage = (message: string): PackageGuardError => new PackageGuardError("CONFIG_INVALID", message);

/** check, install, uninstall and installed: the pipeline from the command line */
export const mountPackages = (root: Command, { run }: CliKit): void => {
  withCommon(root.command("check <requirement>"))
    .description("Decide a request without installing anything (whitelist and grammar only; no network)")
    .option("--agent <id>", "the agent whose configured maturity applies")
    .option("--maturity <level>", `a maturity level: ${MATURITY_LEVELS.join(", ")}`)
    .option("--ecosystem <e>", ECOSYSTEM_HELP)
    .option("--skill <id>", "for a package that needs approval: the skill whose live grant counts")
    .option("--component <id>", "npm: for a package that needs approval, the component whose live grant counts")
    .action(
      run(async (service, opts, requirement) => {
        const o = opts as CommonOptions & {
          agent?: string;
          maturity?: string;
          ecosystem?: string;
          skill?: string;
          component?: string;
        };
        if ((o.agent === undefined) === (o.maturity === undefined))
          throw usage("check needs exactly one of --agent <id> or --maturity <level>");
        const who = o.maturity !== undefined ? { maturity: parseMaturity(o.maturity) } : { agentId: o.agent ?? null };
        const result =
          parseEcosystem(o.ecosystem) === "npm"
            ? await service.npm.check(requirement ?? "", {
                ...who,
                ...(o.component !== undefined ? { component: o.component } : {}),
              })
            : await service.packages.check(requirement ?? "", {
                ...who,
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
    .option("--skill <id>", "Python: the skill whose virtualenv receives the package")
    .option("--component <id>", "npm: the component whose folder receives the package")
    .option("--ecosystem <e>", `${ECOSYSTEM_HELP} (npm is implied by --component)`)
    .option("--agent <id>", "agent whose configured maturity applies (default: the default maturity)")
    .option("--version <range>", "version range")
    .action(
      run(async (service, opts, requirement) => {
        const o = opts as { skill?: string; component?: string; ecosystem?: string; agent?: string; version?: string };
        const caller = { source: "cli" as const, agentId: o.agent ?? null, client: "cli" };
        const version = o.version ? { version: o.version } : {};
        if (isNpm(o)) {
          if (o.component === undefined) throw usage("an npm install needs --component <id>");
          const result = await service.npm.install(
            { package: requirement ?? "", component: o.component, ...version },
            caller,
          );
          return { value: result, human: `Installed ${result.package}@${result.version} into ${result.installPath}` };
        }
        if (o.skill === undefined) throw usage("a Python install needs --skill <id>");
        const result = await service.packages.install(
          { package: requirement ?? "", skill: o.skill, ...version },
          caller,
        );
        return { value: result, human: `Installed ${result.package}==${result.version} into ${result.installPath}` };
      }),
    );

  withCommon(root.command("uninstall <package>"))
    .description("Remove a package (and dependencies nothing else needs) from a skill's virtualenv or a component")
    .option("--skill <id>", "Python: skill id")
    .option("--component <id>", "npm: component id")
    .option("--ecosystem <e>", `${ECOSYSTEM_HELP} (npm is implied by --component)`)
    .action(
      run(async (service, opts, pkg) => {
        const o = opts as { skill?: string; component?: string; ecosystem?: string };
        const caller = { source: "cli" as const, client: "cli" };
        if (isNpm(o)) {
          if (o.component === undefined) throw usage("an npm uninstall needs --component <id>");
          const result = await service.npm.uninstall({ package: pkg ?? "", component: o.component }, caller);
          return { value: result, human: `Removed: ${result.removed.join(", ") || "nothing"}` };
        }
        if (o.skill === undefined) throw usage("a Python uninstall needs --skill <id>");
        const result = await service.packages.uninstall({ package: pkg ?? "", skill: o.skill }, caller);
        return { value: result, human: `Removed: ${result.removed.join(", ") || "nothing"}` };
      }),
    );

  withCommon(root.command("installed"))
    .description("What is really installed in each skill's virtualenv (or, with --ecosystem npm, each component)")
    .option("--skill <id>", "only this skill")
    .option("--component <id>", "only this component (npm)")
    .option("--ecosystem <e>", ECOSYSTEM_HELP)
    .action(
      run(async (service, opts) => {
        const o = opts as { skill?: string; component?: string; ecosystem?: string };
        if (isNpm(o)) {
          const packages = await service.npm.installed(o.component);
          return { value: packages, human: npmInstalledTable(packages) };
        }
        const packages = await service.operator.installed(o.skill);
        return { value: packages, human: installedTable(packages) };
      }),
    );
};

const isNpm = (o: { ecosystem?: string; component?: string }): boolean =>
  o.ecosystem !== undefined ? parseEcosystem(o.ecosystem) === "npm" : o.component !== undefined;
