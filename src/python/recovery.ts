import { toPackageGuardError } from "../errors.js";
import { readPending, readState, clearPending, type PendingTransaction } from "./skill-state.js";
import { restore, currentSet, type TransactionContext } from "./transaction.js";
import type { RecoveredTransaction } from "./types.js";
import { ensureVenv } from "./venv.js";

/**
 * Finishes what a crash interrupted for one skill (caller holds its lock): the venv is synced back to the
 * journal's previous set. A journal whose transaction already committed is simply dropped.
 */
export const recoverSkill = async (ctx: TransactionContext): Promise<RecoveredTransaction | null> => {
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
  if (state?.lastTxId === pending.txId) {
    await clearPending(ctx.paths.pending);
    return null;
  }
  const report = { skill: ctx.skill, package: pending.package, operation: pending.operation, txId: pending.txId };
  try {
    await ensureVenv(ctx);
    await restore(ctx, pending.previous);
    return { ...report, ok: true };
  } catch (error) {
    return { ...report, ok: false, problem: toPackageGuardError(error).message };
  }
};
