import { toPackageGuardError } from "../errors.js";
import type { CallerContext, InstallResult } from "../service/types.js";
import { blockVerdict, vetInstallTarget, type SkillVetter, type Verdict } from "../service/vet-target.js";
import type { SkillFinding } from "../skills/findings.js";
import { forTerminal } from "../util/terminal.js";

/** The parts of OpenClaw's before_install event this adapter reads (the SDK does not export the type). */
export type BeforeInstallEvent = {
  targetType: string;
  targetName: string;
  sourcePath: string;
  sourcePathKind: string;
  origin?: string | undefined;
  skill?: { installId?: string; installSpec?: { kind?: string; package?: string } | undefined } | undefined;
};

export type BeforeInstallResult = { block?: boolean; blockReason?: string; findings?: SkillFinding[] };

export type HookService = SkillVetter & {
  preinstallSkill(
    skill: string,
    requirements: readonly string[],
    caller: CallerContext,
  ): Promise<{ requirement: string; result?: InstallResult; error?: { code: string; message: string } }[]>;
};

export type HookLogger = { info(message: string): void; warn(message: string): void };

/** OpenClaw gives before_install 15 s and then fails the install closed; we answer first, with our own reason. */
export const HOOK_BUDGET_MS = 12_000;

const timedOut = (ms: number): Verdict =>
  blockVerdict(
    `package-guard could not vet this skill's Python dependencies within ${ms / 1000} s (resolver, scanner or the ` +
      `skill's lock was slow), so the install is blocked. Retry; if it keeps happening, check 'openclaw packages ` +
      `doctor'.`,
  );

/**
 * The before_install handler: skills only (plugins are not ours to judge). The vet races a budget and fails closed.
 * On allow (or warn), the dependencies that passed are pre-installed into the skill's venv in the background:
 * installing can take minutes against a real index, far past the hook's 15 s, and a failure there is audited and
 * logged but must not decide an install that was already vetted. An agent can always install them later.
 */
export const createBeforeInstallHandler =
  (deps: { getService: () => Promise<HookService>; logger: HookLogger; budgetMs?: number }) =>
  async (event: BeforeInstallEvent): Promise<BeforeInstallResult | undefined> => {
    if (event.targetType !== "skill") return undefined;
    // Skill names and reasons come from uploads: no control character reaches the gateway log.
    const logger: HookLogger = {
      info: (m) => deps.logger.info(forTerminal(m)),
      warn: (m) => deps.logger.warn(forTerminal(m)),
    };
    const budgetMs = deps.budgetMs ?? HOOK_BUDGET_MS;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<Verdict>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve(timedOut(budgetMs));
      }, budgetMs);
    });
    const client = `before_install:${event.origin ?? "unknown"}`;
    let service: HookService | undefined;
    const vet = (async () => {
      service = await deps.getService();
      return vetInstallTarget(
        service,
        {
          targetType: event.targetType,
          targetName: event.targetName,
          sourcePath: event.sourcePath,
          sourcePathKind: event.sourcePathKind,
          installSpec: event.skill?.installSpec,
        },
        { source: "hook", client, signal: controller.signal },
      );
    })().catch((error: unknown) => {
      const e = toPackageGuardError(error);
      return blockVerdict(
        `package-guard could not vet this skill, so the install is blocked: [${e.code}] ${e.message}`,
      );
    });
    let verdict: Verdict;
    try {
      verdict = await Promise.race([vet, budget]);
    } finally {
      clearTimeout(timer);
    }
    if (verdict.decision === "block") {
      logger.warn(`package-guard: blocked skill ${event.targetName}: ${verdict.reason ?? ""}`);
      return {
        block: true,
        blockReason: verdict.reason ?? "package-guard blocked this skill",
        findings: verdict.findings,
      };
    }
    if (service && verdict.skill && verdict.preinstall.length > 0)
      preinstallInBackground(service, verdict.skill, verdict.preinstall, client, logger);
    return verdict.findings.length > 0 ? { findings: verdict.findings } : undefined;
  };

const preinstallInBackground = (
  service: HookService,
  skill: string,
  requirements: string[],
  client: string,
  logger: HookLogger,
): void => {
  void service
    .preinstallSkill(skill, requirements, { source: "hook", agentId: null, client })
    .then((outcomes) => {
      for (const o of outcomes) {
        if (o.result)
          logger.info(`package-guard: pre-installed ${o.result.package}==${o.result.version} into skill ${skill}`);
        else
          logger.warn(
            `package-guard: pre-installing ${o.requirement} into skill ${skill} failed: [${o.error?.code}] ` +
              `${o.error?.message}`,
          );
      }
    })
    .catch((error: unknown) =>
      logger.warn(`package-guard: pre-install for skill ${skill} failed: ${toPackageGuardError(error).message}`),
    );
};
