import { randomUUID } from "node:crypto";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import { installExactly, type InstallContext } from "./installer.js";
import type { SkillPaths } from "./layout.js";
import { venvPythonVersion } from "./site-packages.js";
import { clearPending, readState, writePending, writeState, type SkillState } from "./skill-state.js";
import type { Operation, Pin, Wanted } from "./types.js";
import { recreateVenv } from "./venv.js";

export type TransactionContext = InstallContext & { skill: string; paths: SkillPaths };

type PackageSet = { requirements: Wanted; pins: Pin[] };

export const currentSet = async (paths: SkillPaths): Promise<PackageSet> => {
  const state = await readState(paths.state);
  return { requirements: state?.requirements ?? {}, pins: state?.pins ?? [] };
};

/** Records `set` as what the venv holds (after it was installed and checked). */
export const commitState = async (ctx: TransactionContext, set: PackageSet, txId: string | null): Promise<void> => {
  const state: SkillState = {
    version: 1,
    skill: ctx.skill,
    requirements: set.requirements,
    pins: set.pins,
    python: { path: ctx.venvPython, version: await venvPythonVersion(ctx.venvDir) },
    installer: ctx.toolchain.kind,
    updatedAt: new Date().toISOString(),
    lastTxId: txId,
  };
  await writeState(ctx.paths.state, state);
};

/**
 * Puts the previous set back into a fresh venv. An installer killed mid-way can leave anything behind: half
 * a package's files, a dist-info without METADATA or RECORD, things no installer can uninstall. So the venv is
 * rebuilt rather than repaired; with uv's cache that costs a few hundred ms. Not cancelable: a half-restored
 * venv is worse than a slow one.
 */
export const restore = async (ctx: TransactionContext, previous: PackageSet): Promise<void> => {
  await recreateVenv(ctx);
  const pins = await installExactly(ctx, previous.pins);
  await commitState(ctx, { requirements: previous.requirements, pins }, null);
  await clearPending(ctx.paths.pending);
};

const rolledBack = async (
  ctx: TransactionContext,
  previous: PackageSet,
  error: unknown,
): Promise<PackageGuardError> => {
  const cause = toPackageGuardError(error);
  const base = { ...cause.details, skill: ctx.skill };
  try {
    await restore(ctx, previous);
    return new PackageGuardError("INSTALL_FAILED", `${cause.message}; the previous package set was restored`, {
      details: { ...base, rolledBack: true },
      cause: error,
    });
  } catch (restoreError) {
    const why = toPackageGuardError(restoreError).message;
    // The journal stays, so recoverInterrupted() tries again at the next start.
    return new PackageGuardError(
      "INSTALL_FAILED",
      `${cause.message}; restoring the previous package set also failed (${why}), the skill's virtualenv may be ` +
        `incomplete until the next restart retries it`,
      { details: { ...base, rolledBack: false, rollbackError: why }, cause: error },
    );
  }
};

/**
 * Makes the venv hold exactly `pins`, crash-safely: journal first (pending.json with the previous set),
 * then install and verify, then state.json, then drop the journal. Any failure restores the previous set.
 */
export const applyTransaction = async (
  ctx: TransactionContext,
  pins: Pin[],
  wanted: Wanted,
  meta: { operation: Operation; package: string },
  signal?: AbortSignal,
): Promise<Pin[]> => {
  const previous = await currentSet(ctx.paths);
  const txId = randomUUID();
  await writePending(ctx.paths.pending, {
    version: 1,
    txId,
    operation: meta.operation,
    package: meta.package,
    previous,
    startedAt: new Date().toISOString(),
  });
  try {
    const installed = await installExactly(ctx, pins, signal);
    await commitState(ctx, { requirements: wanted, pins: installed }, txId);
    await clearPending(ctx.paths.pending);
    return installed;
  } catch (error) {
    throw await rolledBack(ctx, previous, error);
  }
};
