import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import plugin from "../../../src/index.js";

type Collector = (ctx: Record<string, unknown>) => Promise<{ checkId: string; severity: string; title: string }[]>;

/** The plugin's register() against a stand-in api that keeps what was registered and does nothing else. */
const registered = (): { collectors: Collector[] } => {
  const collectors: Collector[] = [];
  const noop = () => undefined;
  const api = new Proxy(
    {
      pluginConfig: {},
      runtime: { state: { resolveStateDir: () => "/nonexistent-state" } },
      logger: { info: noop, warn: noop, error: noop },
      registerSecurityAuditCollector: (c: Collector) => void collectors.push(c),
    } as Record<string, unknown>,
    { get: (target, key) => (key in target ? target[key as string] : noop) },
  );
  (plugin as unknown as { register(api: unknown): void }).register(api);
  return { collectors };
};

describe("the openclaw security audit collector", () => {
  let state: string;
  beforeAll(async () => {
    state = await mkdtemp(join(tmpdir(), "pg-audit-collector-"));
  });
  afterAll(() => rm(state, { recursive: true, force: true }));

  it("is registered by the plugin and answers from the state dir's files alone, opening nothing", async () => {
    const { collectors } = registered();
    expect(collectors).toHaveLength(1);
    const data = join(state, "package-guard");
    await mkdir(join(data, "skills", "web"), { recursive: true });
    // Written by hand, as a re-scan stores it: the collector is not trusted to produce its own oracle.
    await writeFile(
      join(data, "exposure.json"),
      JSON.stringify({
        version: 1,
        scannedAt: new Date().toISOString(),
        trigger: "advisory data changed",
        source: { id: "managed:x", version: "PyPI/g-1" },
        scanned: { skills: 2, pins: 3 },
        failure: null,
        skills: {
          web: [
            {
              ecosystem: "PyPI",
              package: "evilpkg",
              version: "1.0.0",
              findings: [{ id: "MAL-2099-1", aliases: [], malicious: true, fixedVersions: [] }],
            },
          ],
          etl: [
            {
              ecosystem: "PyPI",
              package: "pyyaml",
              version: "5.3",
              findings: [{ id: "PYSEC-2021-142", aliases: [], malicious: false, fixedVersions: ["5.4"] }],
            },
          ],
        },
      }),
    );
    const hostConfig = { plugins: { entries: { "package-guard": { enabled: true, config: {} } } } };
    const findings = await collectors[0]!({ config: hostConfig, sourceConfig: hostConfig, env: {}, stateDir: state });
    expect(findings.map((f) => [f.checkId, f.severity, f.title])).toEqual([
      ["package-guard.skill_vulnerable", "warn", "Skill 'etl' holds known-vulnerable packages"],
      ["package-guard.skill_malware", "critical", "Skill 'web' holds malware"],
    ]);
    // No audit log, cache or venv appeared: nothing was opened.
    expect((await readdir(data)).toSorted()).toEqual(["exposure.json", "skills"]);
  });

  it("reports a broken configuration instead of failing the audit", async () => {
    const { collectors } = registered();
    const hostConfig = { plugins: { entries: { "package-guard": { config: { defaultMaturity: "root" } } } } };
    const findings = await collectors[0]!({ config: hostConfig, stateDir: state });
    expect(findings.map((f) => f.checkId)).toEqual(["package-guard.config_invalid"]);
  });
});
