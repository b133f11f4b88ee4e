import type { Command } from "commander";
import { SBOM_FORMATS } from "../../service/types.js";
import { choice, withCommon, type CliKit, type CommonOptions } from "./kit.js";

/** sbom: what a skill's venv holds, as CycloneDX 1.6 JSON or a PEP 751 pylock.toml */
export const mountSbom = (root: Command, { run }: CliKit): void => {
  withCommon(root.command("sbom"))
    .description("A skill's installed Python packages as CycloneDX 1.6 JSON (hashes, purls, last scan) or pylock.toml")
    .requiredOption("--skill <id>", "skill id")
    .option("--format <format>", `${SBOM_FORMATS.join(" or ")} (default cyclonedx)`, "cyclonedx")
    .action(
      run(async (service, opts) => {
        const o = opts as CommonOptions & { skill: string; format: string };
        const result = await service.operator.sbom(o.skill, choice("--format", o.format, SBOM_FORMATS));
        // The document is the output, so that `> sbom.json` or `> pylock.toml` is all it takes.
        return result.format === "cyclonedx"
          ? { value: result.bom, human: JSON.stringify(result.bom, null, 2) }
          : { value: result, human: result.pylock.trimEnd() };
      }),
    );
};
