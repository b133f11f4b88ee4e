import { randomUUID } from "node:crypto";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import { installExactly, type InstallContext } from "./installer.js";
import { venvPythonVersion } from "./site-packages.js";
import { clearPending, readPending, readState, writePending, writeState, type SkillState } from "./skill-state.js";
import type { ApplyMeta, Pin, Wanted } from "./types.js";
import { recreateVenv } from "./venv.js";

export type TransactionContext = InstallContext & { skill: string; venvPython: string };

type PackageSet = { requirements: Wanted; pins: Pin[]; vulnerabilities?: Record<string, string[]> };

export const currentSet = async (paths: { state: string }): Promise<PackageSet> => {
  const state = await readState(paths.state);
  return {
    requirements: state?.requirements ?? {},
    pins: state?.pins ?? [],
    ...(state?.vulnerabilities ? { vulnerabilities: state.vulnerabilities } : {}),
  };
};

/** Records `set` as what the venv holds (after it was installed and checked). */
export const commitState = async (ctx: TransactionContext, set: PackageSet, txId: string | null): Promise<void> => {
  const kept = new Set(set.pins.map((p) => p.name));
  const vulnerabilities = Object.fromEntries(
    Object.entries(set.vulnerabilities ?? {}).filter(([name, ids]) => kept.has(name) && ids.length > 0),
  );
  const state: SkillState = {
    version: 1,
    skill: ctx.skill,
    requirements: set.requirements,
    pins: set.pins.map((p) => ({ name: p.name, version: p.version, hashes: p.hashes })),
    python: { path: ctx.venvPython, version: await venvPythonVersion(ctx.venvDir) },
    installer: ctx.toolchain.kind,
    updatedAt: new Date().toISOString(),
    lastTxId: txId,
    ...(Object.keys(vulnerabilities).length > 0 ? { vulnerabilities } : {}),
  };
  await writeState(ctx.paths.state, state);
};

/**
 * Puts the previous set back into a fresh venv. An installer killed mid-way can leave anything behind: half
 * a package's files, a dist-info without METADATA or RECORD, things no installer can uninstall. So the venv is
 * rebuilt rather than repaired; with uv's cache that costs a few hundred ms. Not cancelable: a half-restored
 * venv is worse than a slow one. The journal is left for the caller to drop. The previous set is installed exactly
 * as recorded (it was resolved and scanned when
 * it went in); nothing is resolved again.
 */
export const restore = async (ctx: TransactionContext, previous: PackageSet): Promise<void> => {
  await recreateVenv(ctx);
  const pins = await installExactly(ctx, previous.pins);
  await commitState(ctx, { ...previous, pins }, null);
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
    await clearPending(ctx.paths.pending);
    return new PackageGuardError("INSTALL_FAILED", `${cause.message}; the previous package set was restored`, {
      details: { ...base, rolledBack: true },
      cause: error,
    });
  } catch (restoreError) {
    const why = toPackageGuardError(restoreError).message;
    // The journal stays, so recovery tries again before the skill's next operation and at the next start.
    return new PackageGuardError(
      "INSTALL_FAILED",
      `${cause.message}; restoring the previous package set also failed (${why}), the skill's virtualenv may be ` +
        `incomplete until the next restart retries it`,
      { details: { ...base, rolledBack: false, rollbackError: why }, cause: error },
    );
  }
};

/**
 * Makes the venv hold exactly `pins`, crash-safely: journal first (pending.json with the previous set), then
 * install and verify, then state.json, then `commit` (the caller's outcome record), then drop the journal. Any
 * failure up to and including `commit` restores the previous set.
 */
export const applyTransaction = async (
  ctx: TransactionContext,
  pins: Pin[],
  wanted: Wanted,
  meta: ApplyMeta,
  signal?: AbortSignal,
  commit?: (installed: Pin[]) => Promise<void>,
): Promise<Pin[]> => {
  // SECURITY: a journal left by an interrupted change is recovered (and audited) before any new change; overwriting
  // it would lose the set to restore and the fact of the interruption.
  if (await readPending(ctx.paths.pending).catch(() => true))
    throw new PackageGuardError("INSTALL_FAILED", `Skill '${ctx.skill}' has an interrupted change to recover first`, {
      details: { reason: "pending-journal", skill: ctx.skill },
    });
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
    const vulnerabilities = meta.vulnerabilities ?? {};
    await commitState(ctx, { requirements: wanted, pins: installed, vulnerabilities }, txId);
    await commit?.(installed);
    await clearPending(ctx.paths.pending);
    return installed;
  } catch (error) {
    throw await rolledBack(ctx, previous, error);
  }
};
