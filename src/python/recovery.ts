import { toPackageGuardError } from "../errors.js";
import { readPending, readState, clearPending, type PendingTransaction } from "./skill-state.js";
import { restore, currentSet, type TransactionContext } from "./transaction.js";
import type { ChangeLog, RecoveredTransaction } from "./types.js";

/**
 * Finishes what a crash interrupted for one skill (caller holds its lock): the venv is put back to the journal's
 * previous set, or, if the change had committed, kept. Either way it is recorded before the journal is dropped, so an
 * interruption is never forgotten; a recovery that cannot be recorded leaves everything for the next attempt.
 */
export const recoverSkill = async (ctx: TransactionContext, log: ChangeLog): Promise<RecoveredTransaction | null> => {
  let pending: PendingTransaction | null;
  try {
    pending = await readPending(ctx.paths.pending);
  } catch {
    // An unreadable journal still means "interrupted"; state.json is only written on commit, so it is the previous set.
    pending = {
      version: 1,
      txId: "unknown",
      operation: "install",
      package: "unknown",
      previous: await currentSet(ctx.paths),
      startedAt: "",
    };
  }
  if (pending === null) return null;
  const state = await readState(ctx.paths.state).catch(() => null);
  const report = { skill: ctx.skill, package: pending.package, operation: pending.operation, txId: pending.txId };
  let result: RecoveredTransaction;
  if (state?.lastTxId === pending.txId) {
    result = { ...report, ok: true, committed: true };
  } else {
    // SECURITY (write-ahead): a durable record before the venv is touched, or no recovery at all.
    await log.recovering(report);
    try {
      await restore(ctx, pending.previous);
      result = { ...report, ok: true };
    } catch (error) {
      result = { ...report, ok: false, problem: toPackageGuardError(error).message };
    }
  }
  await log.recovered(result);
  if (result.ok) await clearPending(ctx.paths.pending);
  return result;
};
