import type { Command } from "commander";
import { PackageGuardError } from "../../errors.js";
import { EXIT, parseMaturity, withCommon, type CliKit } from "./kit.js";
import { whitelistTable } from "./views.js";

/** whitelist list, add and remove */
export const mountWhitelist = (root: Command, { run }: CliKit): void => {
  const whitelist = root.command("whitelist").description("The package whitelist");
  withCommon(whitelist.command("list"))
    .description("Entries visible at a maturity level (lower levels inherited)")
    .option("--maturity <level>", "maturity level", "student")
    .option("--category <c>", "only this category")
    .action(
      run(async (service, opts) => {
        const o = opts as { maturity: string; category?: string };
        const entries = await service.operator.whitelistList(parseMaturity(o.maturity), o.category);
        return { value: entries, human: whitelistTable(entries) };
      }),
    );

  withCommon(whitelist.command("add <package>"))
    .description("Add or replace an entry in the operator overlay (<state>/package-guard/whitelist.yaml)")
    .requiredOption("--maturity <level>", "lowest maturity that may install it")
    .option("--version <range>", "approved PEP 440 range, e.g. '>=2,<3'")
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
        const entry = {
          package: pkg,
          maturity: parseMaturity(o.maturity),
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
          human: `Added ${created.package} ${created.version || "(any version)"} at ${created.maturity}`,
        };
      }),
    );
  withCommon(whitelist.command("remove <package>"))
    .description("Remove an entry (from one tier with --maturity, else everywhere); installed copies stay")
    .option("--maturity <level>")
    .action(
      run(async (service, opts, pkg) => {
        const m = (opts as { maturity?: string }).maturity;
        const result = await service.operator.whitelistRemove(
          pkg ?? "",
          m === undefined ? undefined : parseMaturity(m),
          {
            source: "cli",
            client: "cli",
          },
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
