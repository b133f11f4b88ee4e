import type { Command } from "commander";
import { ECOSYSTEMS } from "../../scan/types.js";
import { EXIT, choice, withCommon, type CliKit } from "./kit.js";

/** advisories update and status: the managed offline advisory database */
export const mountAdvisories = (root: Command, { run }: CliKit): void => {
  const advisories = root
    .command("advisories")
    .description("The offline advisory database (OSV ecosystem zips) that scan.scanner osv-db reads");
  withCommon(advisories.command("update"))
    .description("Fetch an OSV ecosystem zip (default <scan.osvDbUrl>/PyPI/all.zip), check it, swap it in, re-scan")
    .option("--from <url|zip>", "another URL, or a zip file on disk")
    .option("--ecosystem <name>", `one of: ${ECOSYSTEMS.join(", ")} (default PyPI)`)
    .option("--force", "accept a database less than half the size of the current one")
    .option("--no-rescan", "leave the re-scan of installed skills to the gateway's background service")
    .action(
      run(async (service, opts) => {
        const o = opts as { from?: string; ecosystem?: string; force?: boolean; rescan?: boolean };
        const result = await service.operator.advisoriesUpdate(
          {
            ...(o.from ? { from: o.from } : {}),
            ...(o.ecosystem ? { ecosystem: choice("--ecosystem", o.ecosystem, ECOSYSTEMS) } : {}),
            force: o.force === true,
            rescan: o.rescan !== false,
          },
          { source: "cli", client: "cli" },
        );
        const rescan =
          result.rescan === null
            ? ""
            : "error" in result.rescan
              ? `\nRe-scan failed: ${result.rescan.error}`
              : `\nRe-scanned ${result.rescan.skills} skill(s), ${result.rescan.pins} pin(s): ` +
                `${result.rescan.newFindings} new finding(s); exposed: ` +
                `${result.rescan.exposedSkills.join(", ") || "none"}`;
        return {
          value: result,
          human:
            `${result.ecosystem} advisories ${result.generation}: ${result.records} records (${result.malware} ` +
            `malware) from ${result.source}${rescan}`,
        };
      }),
    );
  withCommon(advisories.command("status"))
    .description("The managed databases (source, date, count) and what the scanner would use now")
    .action(
      run(async (service) => {
        const status = await service.operator.advisoriesStatus();
        return { value: status, exit: status.scanner.ok ? EXIT.ok : EXIT.denied };
      }),
    );
};
