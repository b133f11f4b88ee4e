import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { isPackageGuardError } from "../../../src/errors.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";
import { childEnv } from "../../../src/util/env.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { TOOLS } from "../../helpers/tool-paths.js";

/*
 * Fault injection: uv is wrapped so that, when armed, its next `pip sync` is SIGKILLed after a random 0-400 ms.
 * Across 30+ installs and uninstalls into one skill, after every attempt the venv holds exactly the set before
 * it or the set it reported, the audit log verifies, and every attempt is in it.
 */
const run = promisify(execFile);
const ATTEMPTS = 40;
let dir: string;
let armed: string;
let index: PackageIndex;
let service: Services;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-faults-"));
  armed = join(dir, "armed");
  const wrapper = join(dir, "uv-killer");
  // Paths are baked in: children get a scrubbed environment. One kill per arming (rm -f before the kill),
  // so the rollback's own sync runs; the kill lands anywhere from before uv starts work to after it is done.
  await writeFile(
    wrapper,
    `#!/bin/bash
"${TOOLS.uv}" "$@" &
pid=$!
if [ "$1" = "pip" ] && [ "$2" = "sync" ] && [ -e "${armed}" ]; then
  rm -f "${armed}"
  sleep "0.$(printf %03d $(( RANDOM % 400 )))"
  kill -9 $pid 2>/dev/null
fi
wait $pid
`,
  );
  await chmod(wrapper, 0o755);
  index = await startPackageIndex({ packages: DEMO_PACKAGES });
  service = await openServices(
    parseConfig(
      {
        agents: { ops: "intern" },
        whitelist: { tiers: { intern: [{ package: "pyyaml", version: ">=6,<7" }] } },
        python: { uv: wrapper, python: TOOLS.python, installer: "uv" },
        index: { url: index.url },
        scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
      },
      join(dir, "state"),
    ),
  );
});

afterAll(async () => {
  await index?.close();
  await rm(dir, { recursive: true, force: true });
});

/** What the venv really holds, asked of uv itself (not of our state files). */
const actualSet = async (python: string): Promise<string[]> => {
  const { stdout } = await run(TOOLS.uv, ["pip", "list", "--format", "json", "--python", python, "--no-config"], {
    env: childEnv(),
  });
  return (JSON.parse(stdout) as { name: string; version: string }[])
    .map((p) => `${p.name.toLowerCase()}==${p.version}`)
    .toSorted();
};

describe("installer killed at random points", () => {
  it(`${ATTEMPTS} attempts: the venv is always the old set or the new one, and every attempt is logged`, async () => {
    const caller = { source: "cli" as const, agentId: "ops" };
    const cycle = ["pandas", "requests", "beautifulsoup4", "pyyaml>=6,<7"];
    const python = join(dir, "state", "package-guard", "venvs", "faulty", "bin", "python");
    const outcomes = { landed: 0, rolledBack: 0 };
    const before = (await service.operator.installations({ limit: 500 })).length;
    for (let i = 0; i < ATTEMPTS; i++) {
      const requested = cycle[i % cycle.length]!;
      const name = requested.replace(/[<>=].*$/, "");
      const installedNow = (await service.operator.installed("faulty")).some((p) => p.package === name && p.direct);
      const previous = i === 0 ? [] : await actualSet(python);
      await writeFile(armed, "1");
      let reported: string[] | null = null;
      let failure: unknown = null;
      try {
        if (installedNow) {
          await service.packages.uninstall({ package: name, skill: "faulty" }, caller);
          reported = (await service.operator.installed("faulty")).map((p) => `${p.package}==${p.version}`).toSorted();
        } else {
          const r = await service.packages.install({ package: requested, skill: "faulty" }, caller);
          reported = r.dependencies.map((d) => `${d.name}==${d.version}`).toSorted();
        }
        outcomes.landed++;
      } catch (error) {
        failure = error;
        outcomes.rolledBack++;
      }
      // Every failure is an INSTALL_FAILED that rolled back (null when the attempt landed).
      expect(
        failure === null
          ? null
          : {
              code: isPackageGuardError(failure) && failure.code,
              rolledBack: (failure as { details?: { rolledBack?: boolean } }).details?.rolledBack,
            },
        String(failure),
      ).toEqual(failure === null ? null : { code: "INSTALL_FAILED", rolledBack: true });
      const now = await actualSet(python);
      expect(now, `attempt ${i} (${requested})`).toEqual(reported ?? previous);
    }
    const records = await service.operator.installations({ limit: 500 });
    expect(records.length - before).toBe(ATTEMPTS);
    expect(
      records
        .slice(0, ATTEMPTS)
        .map((r) => r.status)
        .every((s) => s === "completed" || s === "uninstalled" || s === "rolled_back"),
    ).toBe(true);
    expect(await service.operator.verifyAudit()).toMatchObject({ ok: true });
    // Both paths were exercised, or the test proved nothing about one of them.
    expect(outcomes.landed).toBeGreaterThan(0);
    expect(outcomes.rolledBack).toBeGreaterThan(0);
  });
});
