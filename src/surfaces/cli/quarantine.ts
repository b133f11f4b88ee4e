import type { Command } from "commander";
import { choice, withCommon, type CliKit } from "./kit.js";

const MODES = ["restore", "rebuild", "reset"] as const;

/** quarantine add, release and list: a skill's venv out of use until an operator gives it back */
export const mountQuarantine = (root: Command, { run }: CliKit): void => {
  const quarantine = root
    .command("quarantine")
    .description("Take a skill's virtualenv out of use (e.g. after a re-scan found malware) and give it back");
  withCommon(quarantine.command("add <skill>"))
    .description("Move the skill's venv aside, unreadable; installs into the skill are refused until released")
    .option("--reason <text>", "why (goes into the audit log)")
    .action(
      run(async (service, opts, skill) => {
        const record = await service.operator.quarantine(skill ?? "", (opts as { reason?: string }).reason, {
          source: "cli",
          client: "cli",
        });
        return {
          value: record,
          human: `${record.skill} quarantined${record.already ? " (already was)" : ""}: ${record.movedTo ?? "no venv"}`,
        };
      }),
    );
  withCommon(quarantine.command("release <skill>"))
    .description("restore: the venv back as it was; rebuild: reinstall the recorded pins (scanned first); reset: empty")
    .requiredOption("--mode <mode>", MODES.join(" | "))
    .action(
      run(async (service, opts, skill) => {
        const mode = choice("--mode", (opts as { mode: string }).mode, MODES);
        const record = await service.operator.quarantineRelease(skill ?? "", mode, { source: "cli", client: "cli" });
        return { value: record, human: `${record.skill} released (${mode})` };
      }),
    );
  withCommon(quarantine.command("list"))
    .description("Quarantined skills")
    .action(run(async (service) => ({ value: await service.operator.quarantineList() })));
};
