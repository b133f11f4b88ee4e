import type { Command } from "commander";
import { EXIT, withCommon, type CliKit } from "./kit.js";

/** doctor: what will make installs fail, and how to fix it */
export const mountDoctor = (root: Command, { run }: CliKit): void => {
  withCommon(root.command("doctor"))
    .description(
      "Tools found (uv, python, pip-audit, npm), versions, paths, state dir, index, registry, effective config",
    )
    .action(
      run(async (service) => {
        const report = await service.operator.doctor();
        return { value: report, exit: report.ok ? EXIT.ok : EXIT.denied };
      }),
    );
};
