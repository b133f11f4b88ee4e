import type { Command } from "commander";
import { PackageGuardError } from "../../errors.js";
import { EXIT, parseEcosystem, parseMaturity, withCommon, type CliKit } from "./kit.js";
import { whitelistTable } from "./views.js";

const ECOSYSTEM_HELP = "PyPI (default) or npm";

/** whitelist list, add and remove */
export const mountWhitelist = (root: Command, { run }: CliKit): void => {
  const whitelist = root.command("whitelist").description("The package whitelist");
  withCommon(whitelist.command("list"))
    .description("Entries visible at a maturity level (lower levels inherited)")
    .option("--maturity <level>", "maturity level", "student")
    .option("--category <c>", "only this category")
    .option("--ecosystem <e>", ECOSYSTEM_HELP)
    .action(
      run(async (service, opts) => {
        const o = opts as { maturity: string; category?: string; ecosystem?: string };
        const entries = await service.operator.whitelistList(
          parseMaturity(o.maturity),
          o.category,
          parseEcosystem(o.ecosystem),
        );
        return { value: entries, human: whitelistTable(entries) };
      }),
    );

  withCommon(whitelist.command("add <package>"))
    .description("Add or replace an entry in the operator overlay (<state>/package-guard/whitelist.yaml)")
    .requiredOption("--maturity <level>", "lowest maturity that may install it")
    .option("--ecosystem <e>", ECOSYSTEM_HELP)
    .option("--version <range>", "approved range: PEP 440 ('>=2,<3'), or for npm node-semver ('^4.17.21')")
    .option("--category <c>")
    .option("--description <text>")
    .option("--max-memory-mb <n>")
    .option("--network", "the package needs network access")
    .option("--requires-approval", "each agent+skill needs an operator approval")
    .option("--extras <list>", "comma-separated extras agents may request")
    .action(
      run(async (service, opts, pkg) => {
        const o = opts as {
          maturity: string;
          ecosystem?: string;
          version?: string;
          category?: string;
          description?: string;
          maxMemoryMb?: string;
          network?: boolean;
          requiresApproval?: boolean;
          extras?: string;
        };
        const memory = o.maxMemoryMb === undefined ? undefined : Number(o.maxMemoryMb);
        if (memory !== undefined && !(Number.isInteger(memory) && memory > 0))
          throw new PackageGuardError("CONFIG_INVALID", "--max-memory-mb must be a positive integer");
        const ecosystem = parseEcosystem(o.ecosystem);
        const entry = {
          package: pkg,
          maturity: parseMaturity(o.maturity),
          ...(ecosystem === "npm" ? { ecosystem } : {}),
          ...(o.version !== undefined ? { version: o.version } : {}),
          ...(o.category !== undefined ? { category: o.category } : {}),
          ...(o.description !== undefined ? { description: o.description } : {}),
          ...(memory !== undefined ? { max_memory_mb: memory } : {}),
          ...(o.network ? { network_access: true } : {}),
          ...(o.requiresApproval ? { requires_approval: true } : {}),
          ...(o.extras ? { extras: o.extras.split(",").map((e) => e.trim()) } : {}),
        };
        const created = await service.operator.whitelistAdd(entry, { source: "cli", client: "cli" });
        return {
          value: created,
          human:
            `Added ${created.ecosystem === "npm" ? "npm package " : ""}${created.package} ` +
            `${created.version || "(any version)"} at ${created.maturity}`,
        };
      }),
    );
  withCommon(whitelist.command("remove <package>"))
    .description("Remove an entry (from one tier with --maturity, else everywhere); installed copies stay")
    .option("--maturity <level>")
    .option("--ecosystem <e>", ECOSYSTEM_HELP)
    .action(
      run(async (service, opts, pkg) => {
        const o = opts as { maturity?: string; ecosystem?: string };
        const result = await service.operator.whitelistRemove(
          pkg ?? "",
          o.maturity === undefined ? undefined : parseMaturity(o.maturity),
          { source: "cli", client: "cli" },
          parseEcosystem(o.ecosystem),
        );
        const still =
          result.stillInstalledIn.length > 0 ? `; still installed in: ${result.stillInstalledIn.join(", ")}` : "";
        return {
          value: result,
          human: `${result.removed ? "Removed" : "Not on the whitelist:"} ${result.package}${still}`,
          exit: result.removed ? EXIT.ok : EXIT.denied,
        };
      }),
    );
};
