import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { PackageGuardConfig } from "../config.js";
import { PackageGuardError, isPackageGuardError, toPackageGuardError } from "../errors.js";
import { probeTool } from "../python/tools.js";
import type { ToolInfo } from "../python/types.js";
import type { Runner } from "../util/exec.js";
import { pathExists } from "../util/fs.js";
import { isValidComponentId, validateComponentId } from "./component-id.js";
import { idOfLeftover, installTree, replaceComponent } from "./installer.js";
import { componentPaths, componentsRoot, trashRoot, workRoot } from "./layout.js";
import { withComponentLock } from "./lock.js";
import { readInstalledTree } from "./lockfile.js";
import { resolveTree, type NpmContext } from "./resolver.js";
import { workDir, type WorkDir } from "./run.js";
import { readComponentState } from "./state.js";
import type { InstalledNpmPackage, LockPackage, NpmWanted, TreeEntry } from "./types.js";

/** One component under its lock: what it holds, and the two steps that change it. */
export interface ComponentSession {
  readonly id: string;
  readonly dir: string;
  /** What was asked for and what is installed; empty for a new component. */
  state(): Promise<{ requirements: NpmWanted; packages: TreeEntry[] }>;
  /** Resolves `wanted` (from the current lockfile) to a checked tree, kept in this session's work folder. */
  resolve(wanted: NpmWanted, signal?: AbortSignal): Promise<LockPackage[]>;
  /** Installs the last resolution and puts it in the component's place; an empty `wanted` removes the component. */
  apply(wanted: NpmWanted, signal?: AbortSignal): Promise<LockPackage[]>;
}

export type RecoveredComponent = { component: string; restored: boolean; problem?: string };

// A lock held at start-up belongs to a live install elsewhere: do not hold up the gateway's start for it.
const RECOVERY_LOCK_MS = 2_000;
// Vetting work folders start with a dot: never a component id, so recovery leaves live ones alone.
const SCRATCH_PREFIX = ".vet-";
// A vetting work folder older than this was left by a crash (a vet is bounded by the install hook's budget).
const STALE_SCRATCH_MS = 24 * 3600 * 1000;

/** Per-component npm trees: the only part of package-guard that runs npm. */
export class NpmComponents {
  private npmFound: Promise<ToolInfo | null> | undefined;

  constructor(
    private readonly config: PackageGuardConfig,
    private readonly runner: Runner,
  ) {}

  validateComponent(id: unknown): string {
    return validateComponentId(id);
  }

  /** npm as configured (npm.npm: a path, or a name looked up on PATH), with its version; probed once. */
  npm(): Promise<ToolInfo | null> {
    this.npmFound ??= probeTool(this.runner, this.config.npm.npm);
    return this.npmFound;
  }

  /** Runs `fn` under the component's lock, with a private work folder that is gone afterwards. */
  async withComponent<T>(component: string, fn: (session: ComponentSession) => Promise<T>): Promise<T> {
    const id = validateComponentId(component);
    const paths = componentPaths(this.config, id);
    return withComponentLock(paths.lockTarget, id, this.config.npm.lockTimeoutMs, async () => {
      const npm = await this.requireNpm();
      await mkdir(workRoot(this.config), { recursive: true, mode: 0o700 });
      const work = workDir(join(workRoot(this.config), `${id}-${randomBytes(6).toString("hex")}`));
      await mkdir(work.root, { mode: 0o700 });
      try {
        return await fn(this.session({ config: this.config, runner: this.runner, npm: npm.path, id }, work));
      } finally {
        await rm(work.root, { recursive: true, force: true });
      }
    });
  }

  /**
   * Resolves and checks a tree without a component (vetting a skill's node installers): a work folder of its own,
   * named so no component id can claim it, and no lock, since nothing is installed.
   */
  async withScratch<T>(
    fn: (resolve: (wanted: NpmWanted, signal?: AbortSignal) => Promise<LockPackage[]>) => Promise<T>,
  ): Promise<T> {
    const npm = await this.requireNpm();
    await mkdir(workRoot(this.config), { recursive: true, mode: 0o700 });
    const work = workDir(join(workRoot(this.config), `${SCRATCH_PREFIX}${randomBytes(6).toString("hex")}`));
    await mkdir(work.root, { mode: 0o700 });
    const ctx = { config: this.config, runner: this.runner, npm: npm.path, id: "vet" };
    try {
      return await fn((wanted, signal) => resolveTree(ctx, work, wanted, null, signal));
    } finally {
      await rm(work.root, { recursive: true, force: true });
    }
  }

  /** What is installed, per component (all of them, or one). */
  async installed(component?: string): Promise<InstalledNpmPackage[]> {
    const ids = component === undefined ? await this.knownComponents() : [validateComponentId(component)];
    const out: InstalledNpmPackage[] = [];
    for (const id of ids) {
      const { requirements, packages } = await this.readComponent(id);
      for (const p of packages) {
        const direct = p.path === `node_modules/${p.name}` && Object.hasOwn(requirements, p.name);
        out.push({
          ecosystem: "npm",
          package: p.name,
          version: p.version,
          component: id,
          path: p.path,
          direct,
          installedAt: direct ? requirements[p.name]!.requestedAt : null,
        });
      }
    }
    return out;
  }

  /**
   * At start-up: a component whose replacement a crash interrupted gets its previous tree back from `.trash`, and
   * work folders of operations that are no longer running are removed.
   */
  async recoverInterrupted(): Promise<RecoveredComponent[]> {
    const out: RecoveredComponent[] = [];
    const leftovers = async (root: string) =>
      (await readdir(root).catch(() => [] as string[])).flatMap((e) => {
        const id = idOfLeftover(e);
        return id !== null && isValidComponentId(id) ? [{ entry: join(root, e), id }] : [];
      });
    await this.dropStaleScratch();
    for (const { entry, id } of [
      ...(await leftovers(trashRoot(this.config))),
      ...(await leftovers(workRoot(this.config))),
    ]) {
      try {
        await withComponentLock(componentPaths(this.config, id).lockTarget, id, RECOVERY_LOCK_MS, async () => {
          if (!(await pathExists(entry))) return;
          const live = componentPaths(this.config, id).dir;
          if (entry.startsWith(trashRoot(this.config)) && !(await pathExists(live))) {
            await rename(entry, live);
            out.push({ component: id, restored: true });
          } else {
            await rm(entry, { recursive: true, force: true });
          }
        });
      } catch (error) {
        // BUSY: a live operation in another process owns it.
        if (isPackageGuardError(error) && error.code === "BUSY") continue;
        out.push({ component: id, restored: false, problem: toPackageGuardError(error).message });
      }
    }
    return out;
  }

  private async requireNpm(): Promise<ToolInfo> {
    const npm = await this.npm();
    if (npm !== null) return npm;
    throw new PackageGuardError(
      "INSTALL_FAILED",
      `npm was not found ('${this.config.npm.npm}'); install it or set npm.npm to its absolute path`,
      { details: { reason: "npm-missing" } },
    );
  }

  private session(ctx: NpmContext, work: WorkDir): ComponentSession {
    const paths = componentPaths(this.config, ctx.id);
    let resolved: { wanted: NpmWanted; packages: LockPackage[] } | undefined;
    return {
      id: ctx.id,
      dir: paths.dir,
      state: () => this.readComponent(ctx.id),
      resolve: async (wanted, signal) => {
        const previous = await readFile(join(paths.dir, "package-lock.json"), "utf8").catch(() => null);
        const packages = await resolveTree(ctx, work, wanted, previous, signal);
        resolved = { wanted, packages };
        return packages;
      },
      apply: async (wanted, signal) => {
        if (Object.keys(wanted).length === 0) {
          await replaceComponent(this.config, ctx.id, null);
          return [];
        }
        if (resolved === undefined || resolved.wanted !== wanted)
          throw new Error("apply() installs the resolution of the same wanted set; resolve it first");
        await installTree(ctx, work, resolved.packages, wanted, new Date().toISOString(), signal);
        await replaceComponent(this.config, ctx.id, work.project);
        return resolved.packages;
      },
    };
  }

  private async readComponent(id: string): Promise<{ requirements: NpmWanted; packages: TreeEntry[] }> {
    const paths = componentPaths(this.config, id);
    const state = await readComponentState(paths.state);
    const lock = await readFile(join(paths.dir, "package-lock.json"), "utf8").catch(() => null);
    if (state === null || lock === null) return { requirements: {}, packages: [] };
    return { requirements: state.requirements, packages: readInstalledTree(lock) };
  }

  private async dropStaleScratch(): Promise<void> {
    const root = workRoot(this.config);
    for (const entry of await readdir(root).catch(() => [] as string[])) {
      if (!entry.startsWith(SCRATCH_PREFIX)) continue;
      const age = Date.now() - ((await stat(join(root, entry)).catch(() => undefined))?.mtimeMs ?? Date.now());
      if (age > STALE_SCRATCH_MS) await rm(join(root, entry), { recursive: true, force: true });
    }
  }

  private async knownComponents(): Promise<string[]> {
    const entries = await readdir(componentsRoot(this.config), { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory() && isValidComponentId(e.name))
      .map((e) => e.name)
      .toSorted();
  }
}
