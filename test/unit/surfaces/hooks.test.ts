import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createBeforeInstallHandler, type BeforeInstallEvent, type HookService } from "../../../src/surfaces/hooks.js";
import { fakeVetter } from "../skills/fake-vetter.js";

let root: string;
let good: string;
let bad: string;

const event = (over: Partial<BeforeInstallEvent> = {}): BeforeInstallEvent => ({
  targetType: "skill",
  targetName: "weather",
  sourcePath: good,
  sourcePathKind: "directory",
  origin: "skill-upload",
  ...over,
});

const service = (vetter = fakeVetter({ deny: { requests: "NOT_WHITELISTED" } })) => {
  const preinstallSkill = vi.fn(async (_skill: string, requirements: readonly string[]) =>
    requirements.map((requirement) => ({ requirement, result: { package: requirement, version: "1.0" } as never })),
  );
  return { ...vetter, preinstallSkill } satisfies HookService;
};

const logger = () => ({ info: vi.fn(), warn: vi.fn() });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pg-hook-"));
  good = join(root, "good");
  bad = join(root, "bad");
  await mkdir(good);
  await mkdir(bad);
  await writeFile(
    join(good, "SKILL.md"),
    "---\nname: weather\ndependencies:\n  python:\n    - package: pyyaml\n    - package: tinycalc\n---\n",
  );
  await writeFile(
    join(bad, "SKILL.md"),
    "---\nname: weather\ndependencies:\n  python:\n    - package: requests\n---\n",
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("the before_install hook", () => {
  it("leaves plugin installs alone", async () => {
    const s = service();
    const hook = createBeforeInstallHandler({ getService: async () => s, logger: logger() });
    expect(await hook(event({ targetType: "plugin", sourcePath: bad }))).toBeUndefined();
    expect(s.vetSkill).not.toHaveBeenCalled();
  });

  it("blocks a skill with a denied dependency, saying which and why", async () => {
    const s = service();
    const log = logger();
    const hook = createBeforeInstallHandler({ getService: async () => s, logger: log });
    const r = await hook(event({ sourcePath: bad }));
    expect(r).toMatchObject({
      block: true,
      blockReason: "package-guard blocked skill 'weather': requests: [NOT_WHITELISTED] requests is denied",
    });
    expect(r?.findings?.[0]).toMatchObject({
      ruleId: "package-guard.not-whitelisted",
      severity: "critical",
      file: "SKILL.md",
      line: 5,
    });
    expect(s.vetSkill.mock.calls[0]![0]).toMatchObject({ source: "hook", client: "before_install:skill-upload" });
    expect(s.preinstallSkill).not.toHaveBeenCalled();
    expect(log.warn).toHaveBeenCalled();
  });

  it("allows a good skill and pre-installs its dependencies in the background", async () => {
    const s = service();
    const log = logger();
    const hook = createBeforeInstallHandler({ getService: async () => s, logger: log });
    expect(await hook(event())).toBeUndefined();
    await vi.waitFor(() => expect(log.info).toHaveBeenCalledTimes(2));
    // Into the venv of the skill named "weather" only (its OpenClaw name owns the venv).
    expect(s.preinstallSkill).toHaveBeenCalledWith(
      "weather",
      ["pyyaml", "tinycalc"],
      { source: "hook", agentId: null, client: "before_install:skill-upload" },
      "weather",
    );
  });

  it("does not block on a slow pre-install", async () => {
    const s = { ...service(), preinstallSkill: vi.fn(() => new Promise<never>(() => undefined)) };
    const hook = createBeforeInstallHandler({ getService: async () => s, logger: logger(), budgetMs: 200 });
    expect(await hook(event())).toBeUndefined();
  });

  it("a warning is returned as findings, not as a block", async () => {
    const s = service(fakeVetter({ approve: ["pyyaml"] }));
    const hook = createBeforeInstallHandler({ getService: async () => s, logger: logger() });
    const r = await hook(event());
    expect(r?.block).toBeUndefined();
    expect(r?.findings?.map((f) => [f.ruleId, f.severity])).toEqual([["package-guard.approval-required", "warn"]]);
    await vi.waitFor(() =>
      expect(s.preinstallSkill).toHaveBeenCalledWith("weather", ["tinycalc"], expect.anything(), "weather"),
    );
  });

  it("a uv installer run is vetted by its package and never pre-installed", async () => {
    const s = service();
    const hook = createBeforeInstallHandler({ getService: async () => s, logger: logger() });
    const blocked = await hook(event({ skill: { installId: "uv", installSpec: { kind: "uv", package: "requests" } } }));
    expect(blocked).toMatchObject({ block: true });
    expect(
      await hook(event({ skill: { installId: "uv", installSpec: { kind: "uv", package: "pyyaml" } } })),
    ).toBeUndefined();
    expect(s.preinstallSkill).not.toHaveBeenCalled();
  });

  it("fails closed, with its own reason, when vetting outlasts the budget", async () => {
    const s = {
      ...service(),
      vetSkill: vi.fn(
        (_input: unknown, signal?: AbortSignal) =>
          new Promise<never>((_, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted")))),
      ),
    };
    const hook = createBeforeInstallHandler({ getService: async () => s, logger: logger(), budgetMs: 50 });
    const r = await hook(event());
    expect(r).toMatchObject({ block: true });
    expect(r?.blockReason).toContain("could not vet this skill's Python dependencies within 0.05 s");
    expect(s.vetSkill.mock.calls[0]![1]?.aborted).toBe(true);
  });

  it("fails closed when the service cannot start", async () => {
    const hook = createBeforeInstallHandler({
      getService: async () => {
        throw new Error("whitelist file is unreadable");
      },
      logger: logger(),
    });
    const r = await hook(event());
    expect(r).toMatchObject({ block: true });
    expect(r?.blockReason).toContain("whitelist file is unreadable");
  });
});
