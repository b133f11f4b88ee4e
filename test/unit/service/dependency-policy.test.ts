import { afterEach, describe, expect, it } from "vitest";
import { isPackageGuardError } from "../../../src/errors.js";
import { checkEnteringPins } from "../../../src/service/dependency-policy.js";
import { serviceHarness, type Release, type ServiceHarness } from "./harness.js";

/*
 * Issue 13 items 2, 3 and 6: what a change may bring into a venv besides the package asked for. The catalogue and
 * the whitelists are written out by hand; expectations name exact packages and versions.
 */
const CATALOGUE: Release[] = [
  { name: "wrapper", version: "1.0.0", requires: ["evildep"] },
  { name: "evildep", version: "1.0.0" },
  { name: "plainwrap", version: "1.0.0", requires: ["unlisted"] },
  { name: "unlisted", version: "3.0.0" },
  { name: "otherpkg", version: "1.0.0" },
  { name: "tinycalc", version: "1.0.0" },
  { name: "localwrap", version: "1.0.0", requires: ["localdep"] },
  { name: "localdep", version: "1.0.0+evil" },
];

const TIERS = {
  student: [
    { package: "wrapper" },
    { package: "plainwrap" },
    { package: "tinycalc" },
    { package: "otherpkg", version: ">=1" },
    { package: "localwrap" },
  ],
  supervised: [{ package: "evildep", requires_approval: true }],
};

let h: ServiceHarness | undefined;
afterEach(async () => h?.cleanup());

const open = async (block: Record<string, unknown> = {}, catalogue = CATALOGUE) => {
  h = await serviceHarness({
    catalogue,
    block: { agents: { junior: "student", senior: "supervised" }, whitelist: { tiers: TIERS }, ...block },
  });
  return h;
};

const denial = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    if (isPackageGuardError(error)) return { code: error.code, message: error.message, details: error.details ?? {} };
    throw error;
  }
  throw new Error("expected a denial");
};

const installedNames = async (skill: string) =>
  (await h!.services.operator.installed(skill)).map((p) => `${p.package}==${p.version}`);

describe("dependencies answer to their whitelist entries", () => {
  it("a student's package may not pull in a dependency approved only for a higher tier", async () => {
    const { services } = await open();
    const d = await denial(
      services.packages.install({ package: "wrapper", skill: "s1" }, { source: "tool", agentId: "junior" }),
    );
    expect(d.code).toBe("NOT_WHITELISTED");
    expect(d.message).toBe(
      "Dependency 'evildep' (pulled in by wrapper) is approved only from supervised up, not for student agents. " +
        "Request something that does not need it, or ask an operator to approve evildep for student agents.",
    );
    expect(d.details).toMatchObject({ package: "evildep", dependencyOf: ["wrapper"], approvedAt: "supervised" });
    expect(await installedNames("s1")).toEqual([]);
  });

  it("a dependency whose entry requires approval needs a grant for that agent and skill, then installs", async () => {
    const { services } = await open();
    const caller = { source: "tool" as const, agentId: "senior" };
    const first = await denial(services.packages.install({ package: "wrapper", skill: "s1" }, caller));
    expect(first.code).toBe("APPROVAL_REQUIRED");
    expect(first.message).toContain("needs the dependency 'evildep' (pulled in by wrapper)");
    const id = first.details.approvalId as string;
    const pending = await services.operator.approvalsList("pending");
    expect(pending.map((a) => [a.id, a.agentId, a.skill, a.package])).toEqual([[id, "senior", "s1", "evildep"]]);
    expect(await installedNames("s1")).toEqual([]);
    await services.operator.approvalsResolve(id, "approve", {}, { source: "cli", client: "op" });
    // A grant for skill s1 does not open skill s2.
    expect((await denial(services.packages.install({ package: "wrapper", skill: "s2" }, caller))).code).toBe(
      "APPROVAL_REQUIRED",
    );
    const ok = await services.packages.install({ package: "wrapper", skill: "s1" }, caller);
    expect(ok.dependencies).toEqual([
      { name: "evildep", version: "1.0.0" },
      { name: "wrapper", version: "1.0.0" },
    ]);
    const [record] = await services.operator.installations({ limit: 1 });
    expect(record).toMatchObject({ status: "completed", details: { dependencyApprovals: [id] } });
  });

  it("policy.dependencies: 'scanned' lets an unlisted dependency in once scanned; 'whitelisted' does not", async () => {
    const scanned = await open();
    const caller = { source: "tool" as const, agentId: "junior" };
    expect(
      (await scanned.services.packages.install({ package: "plainwrap", skill: "s1" }, caller)).dependencies,
    ).toEqual([
      { name: "plainwrap", version: "1.0.0" },
      { name: "unlisted", version: "3.0.0" },
    ]);
    await scanned.cleanup();
    const strict = await open({ policy: { dependencies: "whitelisted" } });
    const d = await denial(strict.services.packages.install({ package: "plainwrap", skill: "s1" }, caller));
    expect(d.code).toBe("NOT_WHITELISTED");
    expect(d.message).toContain(
      "Dependency 'unlisted' (pulled in by plainwrap) is not on the whitelist, and policy.dependencies is " +
        "'whitelisted'",
    );
  });

  it("a resolved local version (1.0.0+evil) is refused: advisories list public versions only", async () => {
    const { services } = await open();
    const caller = { source: "tool" as const, agentId: "junior" };
    const d = await denial(services.packages.install({ package: "localwrap", skill: "s1" }, caller));
    expect(d.code).toBe("CONSTRAINT_VIOLATION");
    expect(d.message).toContain("The resolved set needs localdep==1.0.0+evil (for localwrap): a local version");
    expect(d.details).toMatchObject({ package: "localdep", version: "1.0.0+evil", reason: "local-version" });
    expect(await installedNames("s1")).toEqual([]);
  });

  it("a local version passes only where a whitelist range names it exactly", async () => {
    // Whitelist ranges cannot hold local versions today (the grammar refuses them); the rule is ready for when they do.
    const entry = (version: string) => ({ version, requires_approval: false, extras: [] });
    const check = (range: string) =>
      checkEnteringPins([{ name: "torch", version: "2.3.0+cpu", hashes: [] }], {
        whitelist: {
          governing: () => entry(range),
          lookup: () => entry(range),
          approvedAt: () => "student",
        } as never,
        maturity: "student",
        requested: "torch",
        dependencies: "scanned",
        requireGrant: () => Promise.reject(new Error("no approval needed")),
      });
    await expect(check("==2.3.0+cpu")).resolves.toEqual([]);
    await expect(check("==2.3.0+CPU")).resolves.toEqual([]);
    for (const range of [">=2", "==2.3.0", "==2.3.0+rocm", ""])
      await expect(check(range), range).rejects.toMatchObject({ code: "CONSTRAINT_VIOLATION" });
  });
});

describe("a package removed from the whitelist", () => {
  const newer: Release = { name: "otherpkg", version: "1.5.0" };

  it("keeps its installed version at the skill's next unrelated change (policy.delisted: keep)", async () => {
    const { services } = await open();
    const caller = { source: "tool" as const, agentId: "junior" };
    await services.packages.install({ package: "otherpkg", skill: "s1" }, caller);
    // Later: a newer release appears, and the operator takes otherpkg off the whitelist.
    CATALOGUE.push(newer);
    try {
      await services.operator.whitelistRemove("otherpkg", undefined, { source: "cli", client: "op" });
      const r = await services.packages.install({ package: "tinycalc", skill: "s1" }, caller);
      expect(r.dependencies).toEqual([
        { name: "otherpkg", version: "1.0.0" },
        { name: "tinycalc", version: "1.0.0" },
      ]);
      expect(r.delisted).toEqual([{ package: "otherpkg", version: "1.0.0", action: "kept" }]);
      const [record] = await services.operator.installations({ limit: 1 });
      expect(record?.details).toMatchObject({ delisted: [{ package: "otherpkg", version: "1.0.0", action: "kept" }] });
    } finally {
      CATALOGUE.pop();
    }
  });

  it("is removed at the skill's next change with policy.delisted: remove, and the result says so", async () => {
    const { services } = await open({ policy: { delisted: "remove" } });
    const caller = { source: "tool" as const, agentId: "junior" };
    await services.packages.install({ package: "otherpkg", skill: "s1" }, caller);
    CATALOGUE.push(newer);
    try {
      await services.operator.whitelistRemove("otherpkg", undefined, { source: "cli", client: "op" });
      const r = await services.packages.install({ package: "tinycalc", skill: "s1" }, caller);
      expect(r.dependencies).toEqual([{ name: "tinycalc", version: "1.0.0" }]);
      expect(r.delisted).toEqual([{ package: "otherpkg", version: "1.0.0", action: "removed" }]);
      expect(await installedNames("s1")).toEqual(["tinycalc==1.0.0"]);
    } finally {
      CATALOGUE.pop();
    }
  });
});
