import { readdir, rm } from "node:fs/promises";
import { LRUCache } from "lru-cache";
import type { PackageGuardConfig } from "../config.js";
import { isPackageGuardError, PackageGuardError, toPackageGuardError } from "../errors.js";
import type { Runner } from "../util/exec.js";
import { pathExists } from "../util/fs.js";
import { queryBaseInterpreter, type BaseInterpreter } from "./base-python.js";
import { readInstallRecord, type InstallRecord } from "./install-record.js";
import { choosePython, type PythonChoice } from "./interpreter.js";
import { skillPaths, skillsRoot } from "./layout.js";
import { withSkillLock } from "./lock.js";
import { ensurePipTool } from "./pip-tool.js";
import {
  assertNotQuarantined,
  discardVenv,
  quarantineVenv,
  readQuarantine,
  restoreVenv,
  type QuarantineRecord,
} from "./quarantine.js";
import { recoverSkill } from "./recovery.js";
import { fetchProjectFiles, type FetchFn, type IndexFile } from "./simple-api.js";
import { isValidSkillId, validateSkillId } from "./skill-id.js";
import { checkOwner, claimOwner, readOwner, type SkillOwner } from "./skill-owner.js";
import { readState, type SkillState } from "./skill-state.js";
import { openSkillVenv, prepareSkillVenv, skillContext } from "./skill-venv.js";
import { chooseInstaller, type Toolchain } from "./toolchain.js";
import { probeTool } from "./tools.js";
import type { ChangeLog, InstalledPackage, RecoveredTransaction, SkillVenv, Tools } from "./types.js";

export type { AcceptedFinding, InstallRecord, PinRecord } from "./install-record.js";
export type { QuarantineRecord } from "./quarantine.js";
export type { ReleaseFile, ReleaseFiles } from "./releases.js";
export type { SkillState } from "./skill-state.js";
export type ReleaseMode = "restore" | "rebuild" | "reset";
export type {
  ApplyMeta,
  ChangeLog,
  Operation,
  Pin,
  RecoveredTransaction,
  SkillVenv,
  ToolInfo,
  Tools,
  Wanted,
  WantedRequirement,
} from "./types.js";
export type { SkillOwner } from "./skill-owner.js";

const PAGE_TTL_MS = 60_000;
const INDEX_TIMEOUT_MS = 15_000;

// A lock held at start-up belongs to a live install elsewhere (a crashed holder's lock is broken at once):
// do not hold up the gateway's start for it.
const RECOVERY_LOCK_MS = 2_000;

// Until the service wires the audit log in, recoveries go unrecorded (tests of the python layer alone).
const SILENT: ChangeLog = { recovering: async () => undefined, recovered: async () => undefined };

export type WithSkillOptions = {
  /** Vetting: the lock and the recorded state, without creating or repairing the venv; apply() is refused. */
  readOnly?: boolean;
  /** Called once if the skill's lock is held by someone else and this call has to wait for it. */
  onWait?: () => void;
  /** The OpenClaw skill this operation is for: another skill's venv is refused; `claim` takes a free one. */
  owner?: { name: string; claim: boolean };
};

/** Per-skill virtualenvs: the only part of package-guard that runs uv, pip or Python. */
export class PythonEnvironment {
  private toolsFound: Promise<Tools> | undefined;
  private toolchainFound: Promise<Toolchain> | undefined;
  private changeLog: ChangeLog = SILENT;
  // A vet and the pre-install right after it look up the same projects: a minute of reuse, never longer, so that a
  // release yanked since is seen.
  private readonly pages = new LRUCache<string, Promise<IndexFile[]>>({ max: 512, ttl: PAGE_TTL_MS });
  private chosen: Promise<PythonChoice> | undefined;

  constructor(
    private readonly config: PackageGuardConfig,
    private readonly runner: Runner,
    private readonly options: { fetch?: FetchFn } = {},
  ) {}

  /** Where interrupted changes are recorded (the service's audit log). */
  recordChangesWith(log: ChangeLog): void {
    this.changeLog = log;
  }

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

  private pageLookup(): (name: string, signal?: AbortSignal) => Promise<IndexFile[]> {
    return (name, signal) => this.projectFiles(name, signal);
  }

  validateSkill(id: unknown): string {
    return validateSkillId(id);
  }

  /** uv, python and pip-audit as configured, with versions; probed once per instance. */
  tools(): Promise<Tools> {
    this.toolsFound ??= (async () => {
      const choice = await this.pythonChoice();
      const [uv, python, pipAudit] = await Promise.all([
        probeTool(this.runner, this.config.python.uv),
        choice.path === null ? null : probeTool(this.runner, choice.path),
        probeTool(this.runner, this.config.python.pipAudit),
      ]);
      return { uv, python, pipAudit };
    })();
    return this.toolsFound;
  }

  /** The interpreter new venvs are made from, by the one rule of interpreter.ts (memoized per instance). */
  pythonChoice(): Promise<PythonChoice> {
    this.chosen ??= choosePython(this.config);
    return this.chosen;
  }

  /**
   * Runs `fn` under the skill's lock, after any change a crash interrupted was recovered, with its venv in place
   * (created on first use, rebuilt if it is not the one package-guard made).
   */
  async withSkill<T>(skill: string, fn: (venv: SkillVenv) => Promise<T>, options: WithSkillOptions = {}): Promise<T> {
    const id = validateSkillId(skill);
    return this.locked(
      id,
      async (toolchain) => {
        const ctx = skillContext(this.config, this.runner, toolchain, id);
        // A quarantined venv stays out of use: no change, no recovery, no vet until an operator releases it.
        await assertNotQuarantined(ctx.paths, id);
        if (options.owner) await checkOwner(ctx.paths.owner, id, options.owner, new Date());
        const recovered = await recoverSkill(ctx, this.changeLog);
        if (recovered && !recovered.ok) {
          throw new PackageGuardError(
            "INSTALL_FAILED",
            `Skill '${id}' has an interrupted ${recovered.operation} that could not be rolled back ` +
              `(${recovered.problem ?? "unknown"}); nothing else can change its virtualenv until it is`,
            { details: { reason: "recovery-failed", skill: id } },
          );
        }
        if (options.readOnly) return fn(openSkillVenv(ctx, this.pageLookup(), { readOnly: true }));
        const rebuilt = await prepareSkillVenv(ctx);
        return fn(openSkillVenv(ctx, this.pageLookup(), { rebuilt }));
      },
      this.config.python.lockTimeoutMs,
      options.onWait,
    );
  }

  /** The OpenClaw skill that owns the venv after this call: `name` if it was free, else whoever claimed it first. */
  async claimOwner(skill: string, name: string): Promise<SkillOwner> {
    const id = validateSkillId(skill);
    const paths = skillPaths(this.config, id);
    return withSkillLock(paths.data, id, this.config.python.lockTimeoutMs, () =>
      claimOwner(paths.owner, name, new Date()),
    );
  }

  async ownerOf(skill: string): Promise<SkillOwner | null> {
    return readOwner(skillPaths(this.config, validateSkillId(skill)).owner);
  }

  /** Takes the skill's venv out of use until `release` (under its lock, so no install is half-way through it). */
  async quarantine(
    skill: string,
    who: { by: string | null; reason: string; now: Date },
  ): Promise<{ record: QuarantineRecord; already: boolean }> {
    const id = validateSkillId(skill);
    return this.locked(id, () => quarantineVenv(this.config, skillPaths(this.config, id), id, who));
  }

  /**
   * Ends a quarantine. restore: the venv back as it was; rebuild: a fresh venv with the recorded pins (the caller
   * scans them first); reset: a fresh, empty skill (its recorded requirements are dropped).
   */
  async release(skill: string, mode: ReleaseMode): Promise<QuarantineRecord> {
    const id = validateSkillId(skill);
    return this.locked(id, async (toolchain) => {
      const ctx = skillContext(this.config, this.runner, toolchain, id);
      const record = await readQuarantine(ctx.paths, id);
      if (!record)
        throw new PackageGuardError("NOT_FOUND", `Skill '${id}' is not quarantined`, { details: { skill: id } });
      if (mode === "restore") {
        await restoreVenv(ctx.paths, record);
        return record;
      }
      await discardVenv(ctx.paths, record);
      if (mode === "reset") {
        await rm(ctx.paths.state, { force: true });
        await rm(ctx.paths.pending, { force: true });
      } else {
        // A change interrupted before the quarantine is recovered (and recorded) first, never dropped unsaid.
        const recovered = await recoverSkill(ctx, this.changeLog);
        if (recovered && !recovered.ok)
          throw new PackageGuardError("INSTALL_FAILED", `Recovering skill '${id}' failed: ${recovered.problem ?? ""}`, {
            details: { reason: "recovery-failed", skill: id },
          });
        await prepareSkillVenv(ctx);
      }
      return record;
    });
  }

  /** Every quarantined skill's record. */
  async quarantined(): Promise<QuarantineRecord[]> {
    const out: QuarantineRecord[] = [];
    for (const id of await this.knownSkills()) {
      const record = await readQuarantine(skillPaths(this.config, id), id);
      if (record) out.push(record);
    }
    return out;
  }

  async installed(skill?: string): Promise<InstalledPackage[]> {
    const skills = skill === undefined ? await this.knownSkills() : [validateSkillId(skill)];
    const out: InstalledPackage[] = [];
    for (const id of skills) {
      const state = await readState(skillPaths(this.config, id).state);
      if (!state) continue;
      for (const pin of state.pins) {
        const requested = state.requirements[pin.name];
        const advisories = state.vulnerabilities?.[pin.name] ?? [];
        out.push({
          package: pin.name,
          version: pin.version,
          skill: id,
          direct: requested !== undefined,
          installedAt: requested?.requestedAt ?? state.updatedAt,
          vulnerabilitiesFound: advisories.length,
          ...(advisories.length > 0 ? { vulnerabilities: advisories } : {}),
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

  /** Every skill with a journal left by a crash is recovered (and recorded); a skill busy elsewhere is left alone. */
  async recoverInterrupted(): Promise<RecoveredTransaction[]> {
    const results: RecoveredTransaction[] = [];
    for (const id of await this.knownSkills()) {
      const paths = skillPaths(this.config, id);
      if (!(await pathExists(paths.pending))) continue;
      // A quarantined venv is left alone: rolling it back would bring it back into use.
      if (await readQuarantine(paths, id)) continue;
      try {
        const result = await this.locked(
          id,
          async (toolchain) => recoverSkill(skillContext(this.config, this.runner, toolchain, id), this.changeLog),
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

  /** The installer with the interpreter it runs on: probed once per instance. */
  private toolchain(): Promise<Toolchain> {
    this.toolchainFound ??= (async (): Promise<Toolchain> => {
      const tools = await this.tools();
      const kind = chooseInstaller(this.config, tools);
      const base: BaseInterpreter = await queryBaseInterpreter(this.runner, tools.python!.path);
      // The binary itself, not the launcher it was found through: a pyenv shim is a shell script that costs ~120 ms
      // on every uv call, and uv runs the interpreter it is given once per venv, resolve and sync.
      const basePython = base.sysExecutable.startsWith("/") ? base.sysExecutable : base.executable;
      if (kind === "uv") return { kind, uv: tools.uv!.path, basePython, base };
      return { kind, basePython, base, pipPython: await ensurePipTool(this.config, this.runner, basePython) };
    })().catch((error: unknown) => {
      this.toolchainFound = undefined;
      throw error;
    });
    return this.toolchainFound;
  }

  private async locked<T>(
    skill: string,
    fn: (toolchain: Toolchain) => Promise<T>,
    timeoutMs = this.config.python.lockTimeoutMs,
    onWait?: () => void,
  ): Promise<T> {
    return withSkillLock(
      skillPaths(this.config, skill).data,
      skill,
      timeoutMs,
      async () => fn(await this.toolchain()),
      onWait,
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
