import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PackageGuardConfig } from "../config.js";
import { PackageGuardError } from "../errors.js";
import { succeeded } from "../util/exec.js";
import { pathExists } from "../util/fs.js";
import { isRecord } from "../util/is-record.js";
import { npmFailure } from "./failure.js";
import { componentPaths, STATE_FILE, trashRoot } from "./layout.js";
import type { NpmContext } from "./resolver.js";
import { noGit, runNpm, type WorkDir } from "./run.js";
import { serializeComponentState } from "./state.js";
import type { LockPackage, NpmWanted } from "./types.js";

const MAX_MANIFEST_BYTES = 5 * 1024 * 1024;

const mismatch = (p: LockPackage, why: string): PackageGuardError =>
  new PackageGuardError("INSTALL_FAILED", `After npm ci, ${p.path} ${why}; nothing was installed`, {
    details: { reason: "verify", package: p.name, version: p.version },
  });

/** Every locked package (but optional ones a platform may skip) is on disk with its name and version. */
const verifyTree = async (project: string, packages: readonly LockPackage[]): Promise<void> => {
  for (const p of packages) {
    const file = join(project, p.path, "package.json");
    const size = await stat(file).then(
      (s) => (s.isFile() ? s.size : -1),
      () => -1,
    );
    if (size < 0) {
      if (p.optional) continue;
      throw mismatch(p, "is missing");
    }
    if (size > MAX_MANIFEST_BYTES) throw mismatch(p, "has an oversized package.json");
    let manifest: unknown;
    try {
      manifest = JSON.parse(await readFile(file, "utf8"));
    } catch {
      throw mismatch(p, "has an unreadable package.json");
    }
    if (!isRecord(manifest) || manifest.name !== p.name || manifest.version !== p.version)
      throw mismatch(p, `is not ${p.name}@${p.version}`);
  }
};

/**
 * Step 6 for npm, part one: `npm ci --ignore-scripts` installs exactly the checked lockfile into the work folder's
 * project (npm ci verifies each tarball against its sha512 integrity), the result is checked against the lockfile,
 * and our state is written beside it. The live component is not touched yet.
 */
export const installTree = async (
  ctx: NpmContext,
  work: WorkDir,
  packages: readonly LockPackage[],
  wanted: NpmWanted,
  at: string,
  signal?: AbortSignal,
): Promise<void> => {
  const { registry, installTimeoutMs } = ctx.config.npm;
  const result = await runNpm(ctx.runner, "ci", work, { npm: ctx.npm, registry, timeoutMs: installTimeoutMs, signal });
  if (!succeeded(result)) throw npmFailure(result, { step: "install", registry, gitSentinel: noGit(work) });
  await verifyTree(work.project, packages);
  await writeFile(join(work.project, STATE_FILE), serializeComponentState(wanted, at), { mode: 0o600 });
};

/**
 * Part two: the new tree takes the component's place (or, with `project` null, the component goes). The old tree is
 * moved aside first and only deleted once the new one is in place; if the move fails, it comes back. A crash between
 * the two renames leaves it in `.trash`, where recovery finds it and puts it back.
 */
export const replaceComponent = async (
  config: PackageGuardConfig,
  id: string,
  project: string | null,
): Promise<void> => {
  const live = componentPaths(config, id).dir;
  await mkdir(trashRoot(config), { recursive: true, mode: 0o700 });
  const trash = join(trashRoot(config), `${id}-${randomBytes(6).toString("hex")}`);
  const hadLive = await pathExists(live);
  if (hadLive) await rename(live, trash);
  if (project !== null) {
    try {
      await rename(project, live);
    } catch (error) {
      if (hadLive) await rename(trash, live);
      throw error;
    }
  }
  if (hadLive) await rm(trash, { recursive: true, force: true });
};

/** The id a `.trash` or `.work` entry belongs to: `<id>-<12 hex>`. */
export const idOfLeftover = (entry: string): string | null => /^(.+)-[0-9a-f]{12}$/.exec(entry)?.[1] ?? null;
