import type { Command } from "commander";
import { PackageGuardError } from "../../errors.js";
import { APPROVAL_FILTERS } from "../../service/types.js";
import { choice, withCommon, type CliKit } from "./kit.js";
import { approvalsTable } from "./views.js";

/** approvals list and resolve */
export const mountApprovals = (root: Command, { run }: CliKit): void => {
  const approvals = root.command("approvals").description("Requests for packages that need operator approval");
  withCommon(approvals.command("list"))
    .description("Approvals, newest first")
    .option("--status <status>", "pending, approved, denied or expired")
    .action(
      run(async (service, opts) => {
        const status = (opts as { status?: string }).status;
        const approvals = await service.operator.approvalsList(
          status === undefined ? undefined : choice("--status", status, APPROVAL_FILTERS),
        );
        return { value: approvals, human: approvalsTable(approvals) };
      }),
    );
  withCommon(approvals.command("resolve <id> <decision>"))
    .description("approve or deny a pending approval")
    .option("--ttl-hours <n>", "how long an approval lasts (default: approvals.ttlHours)")
    .option("--note <text>", "why")
    .action(
      run(async (service, opts, id, decision) => {
        const o = opts as { ttlHours?: string; note?: string };
        if (decision !== "approve" && decision !== "deny")
          throw new PackageGuardError("CONFIG_INVALID", "decision must be approve or deny");
        const ttlHours = o.ttlHours === undefined ? undefined : Number(o.ttlHours);
        if (ttlHours !== undefined && !(ttlHours > 0))
          throw new PackageGuardError("CONFIG_INVALID", "--ttl-hours must be a positive number");
        const approval = await service.operator.approvalsResolve(
          id ?? "",
          decision,
          { ...(ttlHours ? { ttlHours } : {}), ...(o.note ? { note: o.note } : {}) },
          { source: "cli", client: "cli" },
        );
        return {
          value: approval,
          human: `${approval.id}: ${approval.status}${approval.expiresAt ? ` until ${approval.expiresAt}` : ""}`,
        };
      }),
    );
};
