import type { Command } from "commander";
import { PackageGuardError } from "../../errors.js";
import { AUDIT_STATUSES } from "../../service/types.js";
import { choice, EXIT, withCommon, type CliKit } from "./kit.js";
import { auditTable } from "./views.js";

/** audit query and verify */
export const mountAudit = (root: Command, { run }: CliKit): void => {
  const audit = root.command("audit").description("The audit log");
  withCommon(audit.command("query"))
    .description("Audit records, newest first")
    .option("--limit <n>", "at most this many (1-500)", "100")
    .option("--package <name>")
    .option("--skill <id>")
    .option("--agent <id>")
    .option("--status <status>")
    .option("--since <iso-date>")
    .action(
      run(async (service, opts) => {
        const o = opts as {
          limit: string;
          package?: string;
          skill?: string;
          agent?: string;
          status?: string;
          since?: string;
        };
        const limit = Number.parseInt(o.limit, 10);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500)
          throw new PackageGuardError("CONFIG_INVALID", "--limit must be 1-500");
        const records = await service.operator.installations({
          limit,
          package: o.package,
          skillId: o.skill,
          agentId: o.agent,
          status: o.status === undefined ? undefined : choice("--status", o.status, AUDIT_STATUSES),
          since: o.since,
        });
        return { value: records, human: auditTable(records) };
      }),
    );
  withCommon(audit.command("verify"))
    .description("Walk the hash chain; report the first line that was edited, deleted, inserted or truncated")
    .action(
      run(async (service) => {
        const result = await service.operator.verifyAudit();
        const human = result.ok
          ? `OK: ${result.records} records in ${result.files} file(s), chain intact from seq 1 (or a recorded ` +
            `prune) to the head`
          : result.firstBadLine
            ? `BROKEN at ${result.firstBadLine.file}:${result.firstBadLine.line}: ${result.firstBadLine.problem}`
            : `BROKEN (${result.problem?.kind}): ${result.problem?.message}`;
        return { value: result, human, exit: result.ok ? EXIT.ok : EXIT.denied };
      }),
    );
  withCommon(audit.command("prune"))
    .description("Delete archived audit files whose records are all older than a date; the deletion is recorded")
    .requiredOption("--before <YYYY-MM-DD>", "prune archived files holding only records before this day (UTC)")
    .action(
      run(async (service, opts) => {
        const result = await service.operator.pruneAudit((opts as { before: string }).before, {
          source: "cli",
          client: "cli",
        });
        const human =
          result.pruned === 0
            ? "Nothing to prune: no archived file holds only records before that day"
            : `Pruned ${result.pruned} archived file(s) through seq ${result.throughSeq}; recorded as seq ` +
              `${result.record?.seq}`;
        return { value: result, human };
      }),
    );
};
