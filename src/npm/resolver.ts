import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PackageGuardConfig } from "../config.js";
import type { Runner } from "../util/exec.js";
import { succeeded } from "../util/exec.js";
import { npmFailure } from "./failure.js";
import { checkLockfile, MAX_LOCKFILE_BYTES, tooLarge } from "./lockfile.js";
import { noGit, runNpm, type WorkDir } from "./run.js";
import type { LockPackage, NpmWanted } from "./types.js";

export type NpmContext = { config: PackageGuardConfig; runner: Runner; npm: string; id: string };

/** The package.json dependencies a wanted set stands for ("" = any version, which npm spells "*"). */
export const manifestDependencies = (wanted: NpmWanted): Record<string, string> =>
  Object.fromEntries(
    Object.keys(wanted)
      .toSorted()
      .map((name) => [name, wanted[name]!.range === "" ? "*" : wanted[name]!.range]),
  );

/** The component's package.json: private, named after the component, with exactly the wanted dependencies. */
export const componentManifest = (id: string, wanted: NpmWanted): string =>
  `${JSON.stringify(
    {
      name: `package-guard-component-${id}`,
      version: "0.0.0",
      private: true,
      description: "Installed by package-guard; edit it through install_package / packages.install only",
      dependencies: manifestDependencies(wanted),
    },
    null,
    2,
  )}\n`;

export const prepareWork = async (work: WorkDir): Promise<void> => {
  for (const dir of [work.home, work.cache, work.project]) await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(work.userrc, "", { mode: 0o600 });
  await writeFile(work.globalrc, "", { mode: 0o600 });
};

/**
 * Step 4 for npm: `npm install --package-lock-only --ignore-scripts` in the work folder's project, starting from the
 * component's current lockfile (so what is installed keeps its versions), then every lock entry checked.
 * Nothing is downloaded but metadata, and nothing runs.
 */
export const resolveTree = async (
  ctx: NpmContext,
  work: WorkDir,
  wanted: NpmWanted,
  previousLock: string | null,
  signal?: AbortSignal,
): Promise<LockPackage[]> => {
  const { registry, installTimeoutMs, maxPackages } = ctx.config.npm;
  await prepareWork(work);
  await writeFile(join(work.project, "package.json"), componentManifest(ctx.id, wanted), { mode: 0o600 });
  const lockFile = join(work.project, "package-lock.json");
  if (previousLock !== null) await writeFile(lockFile, previousLock, { mode: 0o600 });
  const result = await runNpm(ctx.runner, "lock", work, {
    npm: ctx.npm,
    registry,
    timeoutMs: installTimeoutMs,
    signal,
  });
  if (!succeeded(result)) throw npmFailure(result, { step: "resolve", registry, gitSentinel: noGit(work) });
  if ((await stat(lockFile)).size > MAX_LOCKFILE_BYTES) throw tooLarge();
  const text = await readFile(lockFile, "utf8");
  return checkLockfile(text, { registry, maxPackages, dependencies: manifestDependencies(wanted) });
};
