import { readdir } from "node:fs/promises";
import { LRUCache } from "lru-cache";
import type { PackageGuardConfig } from "../config.js";
import { isPackageGuardError, toPackageGuardError } from "../errors.js";
import type { Runner } from "../util/exec.js";
import { pathExists } from "../util/fs.js";
import { readInstallRecord, type InstallRecord } from "./install-record.js";
import { skillPaths, skillsRoot } from "./layout.js";
import { withSkillLock } from "./lock.js";
import { recoverSkill } from "./recovery.js";
import { fetchProjectFiles, type FetchFn, type IndexFile } from "./simple-api.js";
import { isValidSkillId, validateSkillId } from "./skill-id.js";
import { readState, type SkillState } from "./skill-state.js";
import { openSkillVenv, prepareSkillVenv, skillContext } from "./skill-venv.js";
import { chooseToolchain, type Toolchain } from "./toolchain.js";
import { probeTool } from "./tools.js";
import type { InstalledPackage, RecoveredTransaction, SkillVenv, Tools } from "./types.js";

export type { AcceptedFinding, InstallRecord, PinRecord } from "./install-record.js";
export type { ReleaseFile, ReleaseFiles } from "./releases.js";
export type { SkillState } from "./skill-state.js";
export type {
  Operation,
  Pin,
  RecoveredTransaction,
  SkillVenv,
  ToolInfo,
  Tools,
  Wanted,
  WantedRequirement,
} from "./types.js";

const PAGE_TTL_MS = 60_000;
const INDEX_TIMEOUT_MS = 15_000;

// A lock held at start-up belongs to a live install elsewhere (a crashed holder's lock is broken at once):
// do not hold up the gateway's start for it.
const RECOVERY_LOCK_MS = 2_000;

/** Per-skill virtualenvs: the only part of package-guard that runs uv, pip or Python. */
export class PythonEnvironment {
  private toolsFound: Promise<Tools> | undefined;
  // A vet and the pre-install right after it look up the same projects: a minute of reuse, never longer, so that a
  // release yanked since is seen.
  private readonly pages = new LRUCache<string, Promise<IndexFile[]>>({ max: 512, ttl: PAGE_TTL_MS });

  constructor(
    private readonly config: PackageGuardConfig,
    private readonly runner: Runner,
    private readonly options: { fetch?: FetchFn } = {},
  ) {}

  /** The index's files of one project (PEP 503 name), briefly cached. */
  projectFiles(name: string, signal?: AbortSignal): Promise<IndexFile[]> {
    const cached = this.pages.get(name);
    if (cached) return cached;
    const page = fetchProjectFiles(this.config.index.url, name, {
      timeoutMs: INDEX_TIMEOUT_MS,
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      ...(signal ? { signal } : {}),
    });
    this.pages.set(name, page);
    page.catch(() => this.pages.delete(name));
    return page;
  }

  validateSkill(id: unknown): string {
    return validateSkillId(id);
  }

  /** uv, python and pip-audit as configured, with versions; probed once per instance. */
  tools(): Promise<Tools> {
    this.toolsFound ??= (async () => {
      const [uv, python, pipAudit] = await Promise.all([
        probeTool(this.runner, this.config.python.uv),
        probeTool(this.runner, this.config.python.python),
        probeTool(this.runner, this.config.python.pipAudit),
      ]);
      return { uv, python, pipAudit };
    })();
    return this.toolsFound;
  }

  /** Runs `fn` under the skill's lock with its venv in place (created on first use). */
  async withSkill<T>(skill: string, fn: (venv: SkillVenv) => Promise<T>): Promise<T> {
    const id = validateSkillId(skill);
    return this.locked(id, async (toolchain) => {
      const ctx = skillContext(this.config, this.runner, toolchain, id);
      await prepareSkillVenv(ctx);
      return fn(openSkillVenv(ctx, (name, signal) => this.projectFiles(name, signal)));
    });
  }

  async installed(skill?: string): Promise<InstalledPackage[]> {
    const skills = skill === undefined ? await this.knownSkills() : [validateSkillId(skill)];
    const out: InstalledPackage[] = [];
    for (const id of skills) {
      const state = await readState(skillPaths(this.config, id).state);
      if (!state) continue;
      for (const pin of state.pins) {
        const requested = state.requirements[pin.name];
        out.push({
          package: pin.name,
          version: pin.version,
          skill: id,
          direct: requested !== undefined,
          installedAt: requested?.requestedAt ?? state.updatedAt,
          vulnerabilitiesFound: 0,
        });
      }
    }
    return out;
  }

  /** What a skill's venv holds (state.json) and how each pin got there (install-record.json); null if nothing. */
  async skillRecords(skill: string): Promise<{ state: SkillState; record: InstallRecord } | null> {
    const id = validateSkillId(skill);
    const paths = skillPaths(this.config, id);
    const state = await readState(paths.state);
    return state ? { state, record: await readInstallRecord(paths.record, id) } : null;
  }

  /** At start-up: every skill with a journal left by a crash is put back to its previous set. */
  async recoverInterrupted(): Promise<RecoveredTransaction[]> {
    const results: RecoveredTransaction[] = [];
    for (const id of await this.knownSkills()) {
      const paths = skillPaths(this.config, id);
      if (!(await pathExists(paths.pending))) continue;
      try {
        const result = await this.locked(
          id,
          (toolchain) => recoverSkill(skillContext(this.config, this.runner, toolchain, id)),
          Math.min(RECOVERY_LOCK_MS, this.config.python.lockTimeoutMs),
        );
        if (result) results.push(result);
      } catch (error) {
        // BUSY: a live install in another process owns that journal; it will finish or roll back itself.
        if (isPackageGuardError(error) && error.code === "BUSY") continue;
        results.push({
          skill: id,
          package: "unknown",
          operation: "install",
          txId: "unknown",
          ok: false,
          problem: toPackageGuardError(error).message,
        });
      }
    }
    return results;
  }

  private async locked<T>(
    skill: string,
    fn: (toolchain: Toolchain) => Promise<T>,
    timeoutMs = this.config.python.lockTimeoutMs,
  ): Promise<T> {
    return withSkillLock(skillPaths(this.config, skill).data, skill, timeoutMs, async () =>
      fn(chooseToolchain(this.config, await this.tools())),
    );
  }

  private async knownSkills(): Promise<string[]> {
    const entries = await readdir(skillsRoot(this.config), { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory() && isValidSkillId(e.name))
      .map((e) => e.name)
      .toSorted();
  }
}
