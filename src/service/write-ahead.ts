import type { AuditInput } from "../audit/log.js";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import type { ChangeLog, RecoveredTransaction } from "../python/environment.js";

type Audit = { append(input: AuditInput): Promise<unknown> };

/**
 * SECURITY (write-ahead): nothing changes a venv before a durable record of the attempt exists. If the audit log
 * cannot take it (full disk, read-only, a lock it cannot get), the operation fails here, before touching anything.
 */
export const writeAhead = async (audit: Audit, input: Omit<AuditInput, "status">): Promise<void> => {
  try {
    await audit.append({ ...input, status: "started" });
  } catch (error) {
    const e = toPackageGuardError(error, "AUDIT_UNAVAILABLE");
    // The audit log says why in its own words (AUDIT_UNAVAILABLE); anything else is said to have stopped the same.
    if (e.code === "AUDIT_UNAVAILABLE") throw e;
    throw new PackageGuardError(
      "AUDIT_UNAVAILABLE",
      `The audit log cannot record this attempt, so nothing was changed: ${e.message}`,
      { details: { reason: "audit-unavailable" }, cause: error },
    );
  }
};

/** The outcome of a failed attempt; if even that cannot be written, the caller still gets the original error. */
export const recordFailure = async (audit: Audit, input: AuditInput): Promise<void> => {
  await audit.append(input).catch(() => undefined);
};

const recoveryReason = (r: RecoveredTransaction): string => {
  const what = r.operation === "rebuild" ? "A rebuild of the virtualenv" : `An ${r.operation} of ${r.package}`;
  if (r.committed)
    return (
      `${what} was interrupted after it had committed; the virtualenv holds its new set (its outcome may be ` +
      `unrecorded)`
    );
  return r.ok
    ? `${what} was interrupted; the previous package set was restored`
    : `${what} was interrupted and the rollback failed: ${r.problem ?? "unknown"}`;
};

/** How recoveries of interrupted changes are written down: a `started` record first, then what was found and done. */
export const recoveryLog = (audit: Audit): ChangeLog => ({
  recovering: (tx) =>
    writeAhead(audit, {
      source: "system",
      skillId: tx.skill,
      package: tx.package === "*" || tx.package === "unknown" ? null : tx.package,
      reason: `Recovering an interrupted ${tx.operation}`,
      details: { operation: "recover", interrupted: tx.operation, txId: tx.txId },
    }),
  recovered: async (r) => {
    await audit.append({
      source: "system",
      status: "interrupted",
      skillId: r.skill,
      package: r.package === "*" || r.package === "unknown" ? null : r.package,
      reason: recoveryReason(r),
      details: {
        txId: r.txId,
        operation: r.operation,
        restored: r.ok && !r.committed,
        committed: r.committed === true,
      },
    });
  },
});
