import type { Command } from "commander";
import { PackageGuardError } from "../../errors.js";
import { parseEcosystem, withCommon, type CliKit } from "./kit.js";
import { overridesTable } from "./views.js";

/** overrides list and add: one vulnerable release let through for one skill */
export const mountOverrides = (root: Command, { run }: CliKit): void => {
  const overrides = root
    .command("overrides")
    .description("Vulnerability overrides: one vulnerable release let through for one skill");
  withCommon(overrides.command("list"))
    .description("Overrides, live and expired")
    .action(
      run(async (service) => {
        const overrides = await service.operator.overridesList();
        return { value: overrides, human: overridesTable(overrides) };
      }),
    );
  withCommon(overrides.command("add <package> <version>"))
    .description("Let <package>==<version> through the scan for one skill despite the listed advisories, until a date")
    .option("--skill <id>", "the skill it applies to (Python)")
    .option("--component <id>", "the component it applies to (npm)")
    .option("--ecosystem <e>", "PyPI (default) or npm (implied by --component)")
    .requiredOption("--advisory <id...>", "advisory ids it covers (PYSEC-…, GHSA-…, CVE-…); others still block")
    .requiredOption("--reason <text>", "why this is acceptable")
    .requiredOption("--expires <YYYY-MM-DD>", "last day it applies (at most 366 days ahead)")
    .action(
      run(async (service, opts, pkg, version) => {
        const o = opts as {
          skill?: string;
          component?: string;
          ecosystem?: string;
          advisory: string[];
          reason: string;
          expires: string;
        };
        const ecosystem = o.ecosystem !== undefined ? parseEcosystem(o.ecosystem) : o.component ? "npm" : "PyPI";
        const scope = ecosystem === "npm" ? o.component : o.skill;
        if (scope === undefined)
          throw new PackageGuardError(
            "CONFIG_INVALID",
            `an override needs ${ecosystem === "npm" ? "--component" : "--skill"} <id>`,
          );
        const override = await service.operator.overridesAdd(
          {
            skill: scope,
            ...(ecosystem === "npm" ? { ecosystem } : {}),
            package: pkg ?? "",
            version: version ?? "",
            advisories: o.advisory,
            reason: o.reason,
            expires: o.expires,
          },
          { source: "cli", client: "cli" },
        );
        return {
          value: override,
          human:
            `${override.id}: ${override.package}${override.ecosystem === "npm" ? "@" : "=="}${override.version} for ` +
            `${override.ecosystem === "npm" ? "component" : "skill"} ${override.skill}, ` +
            `${override.advisories.join(", ")}, until ${override.expires}`,
        };
      }),
    );
};
