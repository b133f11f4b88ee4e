import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startNpmRegistry, type NpmRegistry } from "../../helpers/npm-registry.js";
import { zip } from "../../helpers/zip.js";
import { denial, list, npmHarness, OSV_NPM_FIXTURES, type NpmHarness } from "./setup.js";

/*
 * npm trees scanned offline (scan.scanner "osv-db"): a folder of OSV JSON records (scan.osvDbDir), and the managed
 * database filled from an OSV all.zip (`advisories update --ecosystem npm`), matched with npm's own order (semver,
 * SEMVER ranges). No OSV API is asked.
 */
let registry: NpmRegistry;
let work: string;
let h: NpmHarness;
const caller = { source: "tool" as const, agentId: "junior" };
const TIERS = {
  student: [
    { package: "usesvuln", ecosystem: "npm" },
    { package: "usesevil", ecosystem: "npm" },
    { package: "@acme/widget", ecosystem: "npm" },
  ],
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pg-npm-offline-"));
  registry = await startNpmRegistry({
    packages: [
      { name: "vulnlib", version: "1.0.0" },
      { name: "usesvuln", version: "1.0.0", dependencies: { vulnlib: "1.0.0" } },
      { name: "evilpkg", version: "1.0.0" },
      { name: "usesevil", version: "1.0.0", dependencies: { evilpkg: "^1.0.0" } },
      { name: "@acme/widget", version: "2.0.0" },
      { name: "@acme/widget", version: "2.0.3" },
    ],
  });
});
afterAll(async () => {
  await registry?.close();
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await h?.cleanup();
});

const open = (scan: Record<string, unknown>) =>
  npmHarness({
    agents: { junior: "student" },
    whitelist: { includeDefault: false, tiers: TIERS },
    npm: { registry: registry.url },
    // Any OSV API use would fail: nothing listens there.
    scan: { scanner: "osv-db", osvApiUrl: "http://127.0.0.1:9", ...scan },
  });

/** Asserts the fixtures' verdicts; returns the install that passed, to tell which scanner answered it. */
const expectVerdicts = async (): Promise<{ scan: { scanner: string; source: { id: string } } }> => {
  const vulnerable = await denial(h.service.install({ package: "usesvuln", component: "a" }, caller));
  expect(vulnerable.code).toBe("VULNERABLE");
  expect(vulnerable.message).toContain("GHSA-9999-vuln-0001 in vulnlib 1.0.0 (fixed in 1.0.1)");
  expect((await denial(h.service.install({ package: "usesevil", component: "b" }, caller))).code).toBe("MALICIOUS");
  // 2.0.0 is before the advisory's range (introduced 2.0.1), 2.0.3 inside it.
  const passed = await h.service.install({ package: "@acme/widget@2.0.0", component: "c" }, caller);
  expect(passed.version).toBe("2.0.0");
  const scoped = await denial(h.service.install({ package: "@acme/widget@2.0.3", component: "c" }, caller));
  expect(scoped.message).toContain("GHSA-9999-scop-0002 in @acme/widget 2.0.3 (fixed in 2.0.5)");
  return passed;
};

describe("npm scans against an offline advisory database", () => {
  it("a folder of OSV JSON records (scan.osvDbDir)", async () => {
    h = await open({ osvDbDir: OSV_NPM_FIXTURES });
    expect((await expectVerdicts()).scan.scanner).toBe("osv-db");
  });

  it("the managed database, filled from an OSV all.zip for npm; none yet fails closed", async () => {
    h = await open({});
    const none = await denial(h.service.install({ package: "@acme/widget@2.0.0", component: "c" }, caller));
    expect(none.code).toBe("SCANNER_UNAVAILABLE");
    expect(await list(join(h.config.npm.componentsRoot))).not.toContain("c");
    const files = (await readdir(OSV_NPM_FIXTURES)).toSorted();
    const archive = join(work, "all.zip");
    await writeFile(
      archive,
      zip(
        await Promise.all(
          files.map(async (f): Promise<[string, Buffer]> => [f, await readFile(join(OSV_NPM_FIXTURES, f))]),
        ),
      ),
    );
    const update = await h.services.operator.advisoriesUpdate(
      { from: archive, ecosystem: "npm", rescan: false },
      { source: "cli", client: "cli" },
    );
    expect(update).toMatchObject({ ecosystem: "npm", records: 3 });
    expect((await expectVerdicts()).scan.source.id).toContain("managed");
  });
});
