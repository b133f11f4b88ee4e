import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { isPackageGuardError } from "../../../src/errors.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";
import { startPackageIndex, type IndexedWheel, type PackageIndex } from "../../helpers/package-index.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { toolConfig } from "../../helpers/tool-paths.js";

/*
 * Yanked releases and the release cooldown through the real service: uv resolving against a loopback index that
 * serves PEP 691 JSON with PEP 700 upload times and PEP 592 yanked flags, then the release check, the offline
 * scanner and uv's install.
 */
const HOUR = 3_600_000;
const RECENT = new Date(Date.now() - HOUR).toISOString();
const PACKAGES: IndexedWheel[] = [
  { name: "tinycalc", version: "1.0.0" },
  { name: "tinycalc", version: "1.1.0", yanked: "broken build" },
  // Uploaded an hour ago: inside the default 3-day cooldown.
  { name: "tinycalc", version: "2.0.0", uploadedAt: RECENT },
  { name: "datakit", version: "1.0.0", requires: ["tinycalc>=1"] },
];

let index: PackageIndex;
let stateDir: string;
const caller = { source: "tool" as const, agentId: "junior" };

type Extra = { index?: Record<string, unknown>; python?: Record<string, unknown>; tinycalc?: string };
const open = (extra: Extra = {}): Promise<Services> =>
  openServices(
    parseConfig(
      {
        agents: { junior: "student" },
        whitelist: {
          tiers: {
            student: [
              { package: "tinycalc", version: extra.tinycalc ?? ">=1" },
              { package: "datakit", version: ">=1,<2" },
            ],
          },
        },
        python: toolConfig(extra.python),
        index: { url: index.url, ...extra.index },
        scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
      },
      stateDir,
    ),
  );

const denial = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    if (isPackageGuardError(error)) return { code: error.code, message: error.message, details: error.details ?? {} };
    throw error;
  }
  throw new Error("expected a denial");
};

beforeAll(async () => {
  index = await startPackageIndex({ packages: PACKAGES });
});
afterAll(async () => {
  await index?.close();
});
afterEach(async () => {
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});
const fresh = async () => {
  stateDir = await mkdtemp(join(tmpdir(), "pg-releases-"));
};

describe("yanked releases and the release cooldown (real uv, loopback index)", () => {
  it("by default, a range gets the newest release that is neither yanked nor too new, transitively too", async () => {
    await fresh();
    const service = await open();
    const direct = await service.packages.install({ package: "tinycalc", skill: "s1" }, caller);
    expect(direct.version).toBe("1.0.0");
    const transitive = await service.packages.install({ package: "datakit", skill: "s2" }, caller);
    expect(transitive.dependencies).toEqual([
      { name: "datakit", version: "1.0.0" },
      { name: "tinycalc", version: "1.0.0" },
    ]);
  });

  it("refuses a yanked release pinned with '==', with its reason, and audits it as blocked", async () => {
    await fresh();
    const service = await open();
    const r = await denial(service.packages.install({ package: "tinycalc==1.1.0", skill: "s1" }, caller));
    expect(r.code).toBe("YANKED");
    expect(r.message).toContain('tinycalc 1.1.0, yanked from the index (reason: "broken build")');
    expect(r.message).toContain("even when pinned with '=='");
    const [record] = await service.operator.installations({ limit: 1 });
    expect(record).toMatchObject({ status: "blocked", code: "YANKED", package: "tinycalc" });
    expect(await service.operator.installed("s1")).toEqual([]);
    // With no range on the entry the request is a bare '==', which uv resolves to the yanked release with a
    // warning: the release check after it refuses it the same way.
    const bare = await open({ tinycalc: "" });
    const again = await denial(bare.packages.install({ package: "tinycalc==1.1.0", skill: "s2" }, caller));
    expect([again.code, again.message]).toEqual([r.code, r.message]);
  });

  it("refuses a release inside the cooldown, even pinned; an exception or turning it off lets it in", async () => {
    await fresh();
    const service = await open();
    const r = await denial(service.packages.install({ package: "tinycalc==2.0.0", skill: "s1" }, caller));
    expect(r.code).toBe("TOO_NEW");
    expect(r.message).toContain("tinycalc 2.0.0 was uploaded at");
    expect(r.message).toContain("index.excludeNewer: 3 days");
    expect((await service.operator.installations({ limit: 1 }))[0]).toMatchObject({
      status: "blocked",
      code: "TOO_NEW",
    });

    const excepted = await open({ index: { excludeNewerPackages: { TinyCalc: false } } });
    expect((await excepted.packages.install({ package: "tinycalc==2.0.0", skill: "s2" }, caller)).version).toBe(
      "2.0.0",
    );
    const off = await open({ index: { excludeNewer: false } });
    expect((await off.packages.install({ package: "tinycalc", skill: "s3" }, caller)).version).toBe("2.0.0");
    // A shorter cooldown of its own: an hour-old release passes a 30-minute cooldown.
    const short = await open({ index: { excludeNewerPackages: { tinycalc: "30 minutes" } } });
    expect((await short.packages.install({ package: "tinycalc", skill: "s4" }, caller)).version).toBe("2.0.0");
  });

  it("vetting a skill refuses the same releases, installing nothing", async () => {
    await fresh();
    const service = await open();
    const vet = await service.packages.vetSkill({
      skill: "s1",
      requirements: ["tinycalc==1.1.0", "tinycalc==2.0.0", "datakit"],
      source: "policy",
    });
    expect(vet.decision).toBe("block");
    expect(vet.items.map((i) => [i.requirement, i.allowed, i.code ?? null])).toEqual([
      ["tinycalc==1.1.0", false, "YANKED"],
      ["tinycalc==2.0.0", false, "TOO_NEW"],
      ["datakit", true, null],
    ]);
    expect(await service.operator.installed("s1")).toEqual([]);
  });

  it("records each installed pin's files, upload times and scan beside the skill's state", async () => {
    await fresh();
    const service = await open();
    await service.packages.install({ package: "datakit", skill: "s1" }, caller);
    const record = JSON.parse(
      await readFile(join(stateDir, "package-guard", "skills", "s1", "install-record.json"), "utf8"),
    ) as { pins: Record<string, { files: { url: string; uploadTime: string }[]; scan: { scanner: string } }> };
    expect(Object.keys(record.pins).toSorted()).toEqual(["datakit==1.0.0", "tinycalc==1.0.0"]);
    expect(record.pins["tinycalc==1.0.0"]!.files).toEqual([
      expect.objectContaining({
        filename: "tinycalc-1.0.0-py3-none-any.whl",
        url: `${index.url.replace(/\/simple$/, "")}/files/tinycalc-1.0.0-py3-none-any.whl`,
        uploadTime: "2024-01-02T03:04:05.000000Z",
      }),
    ]);
    expect(record.pins["tinycalc==1.0.0"]!.scan.scanner).toMatch(/^osv-db/);
  });

  it("with pip (which cannot apply the cooldown while resolving) a too-new pick is refused afterwards", async () => {
    await fresh();
    const service = await open({ python: { installer: "pip" } });
    const r = await denial(service.packages.install({ package: "tinycalc", skill: "s1" }, caller));
    expect(r.code).toBe("TOO_NEW");
    expect(r.message).toContain("tinycalc 2.0.0 was uploaded at");
    expect((await service.packages.install({ package: "tinycalc==1.0.0", skill: "s1" }, caller)).version).toBe("1.0.0");
  });
});
