import { describe, expect, it, vi } from "vitest";
import type { AuditInput } from "../../../src/audit/log.js";
import type { Maturity } from "../../../src/config.js";
import { PackageGuardError } from "../../../src/errors.js";
import type { PolicyDecision } from "../../../src/policy/decide.js";
import { parseRequirement } from "../../../src/policy/requirement.js";
import type { WhitelistEntry } from "../../../src/policy/whitelist.js";
import type { SkillVenv, Wanted } from "../../../src/python/environment.js";
import type { ScanPin } from "../../../src/scan/types.js";
import { planChange, type PlanDeps } from "../../../src/service/change-plan.js";
import { vetRequirements, type VetContext } from "../../../src/service/vetting.js";

/*
 * The vetting logic with every backend faked: which step denies what, in which order, what is audited,
 * and that nothing is ever installed.
 */
type Options = {
  approval?: string[];
  granted?: string[];
  vulnerable?: string[];
  /** Packages whose findings an operator override for skill s1 lets through. */
  overridden?: string[];
  unresolvable?: string[];
  busy?: boolean;
  installed?: Wanted;
};

const fakeContext = (o: Options = {}) => {
  const audit: AuditInput[] = [];
  const resolved: Wanted[] = [];
  const apply = vi.fn();
  const venv: SkillVenv = {
    skill: "s1",
    dir: "/v/s1",
    python: "/v/s1/bin/python",
    rebuilt: [],
    state: async () => ({ requirements: o.installed ?? {}, pins: [] }),
    async resolve(wanted) {
      resolved.push(wanted);
      const names = Object.keys(wanted);
      const stuck = names.find((n) => o.unresolvable?.includes(n));
      if (stuck) throw new PackageGuardError("INSTALL_FAILED", `No version of ${stuck} matches`);
      return names.map((name) => ({ name, version: "1.0", hashes: [] }));
    },
    apply,
    checkReleases: async () => ({}),
    recordInstall: async () => undefined,
  };
  // Every package is on the whitelist at every tier, with any version and no approval: the vet's own steps decide.
  const entry = { version: "", extras: [], requires_approval: false } as unknown as WhitelistEntry;
  const whitelist = { governing: () => entry, lookup: () => entry, approvedAt: () => "student" } as never;
  const scanner = {
    async scan(pins: ScanPin[]) {
      const bad = pins.filter((p) => o.vulnerable?.includes(p.name));
      return {
        findings: bad.map((p) => ({
          id: `PYSEC-${p.name}`,
          aliases: [],
          ecosystem: "PyPI" as const,
          package: p.name,
          version: p.version,
          fixedVersions: ["9.9"],
        })),
        malware: [],
        ignored: [],
        fromCache: 0,
        scanned: pins.length,
        scannerId: "fake",
        source: { id: "fake", version: "1" },
      };
    },
  };
  const planDeps: PlanDeps = {
    config: { policy: { dependencies: "scanned", delisted: "keep" } } as never,
    scan: async () => scanner,
    async applyOverrides(skill, findings) {
      const covered = (f: { package: string }) => skill === "s1" && (o.overridden?.includes(f.package) ?? false);
      return {
        blocking: findings.filter((f) => !covered(f)),
        overridden: findings
          .filter(covered)
          .map((finding) => ({ finding, override: { id: `ovr_${finding.package}`, expires: "2026-02-01" } as never })),
      };
    },
  };
  const ctx: VetContext = {
    async decide(raw: string, _maturity: Maturity): Promise<PolicyDecision> {
      const requirement = parseRequirement(raw);
      if (requirement.name === "evil")
        throw new PackageGuardError("NOT_WHITELISTED", "Package 'evil' is not on the whitelist for student agents.", {
          details: { package: "evil" },
        });
      const entry = {
        package: requirement.name,
        version: "",
        requires_approval: o.approval?.includes(requirement.name) ?? false,
      } as WhitelistEntry;
      return {
        entry,
        requirement,
        effectiveSpecifier: requirement.specifier,
        requiresApproval: entry.requires_approval,
      };
    },
    whitelist: { current: async () => whitelist },
    python: {
      validateSkill: (id: unknown) => {
        if (typeof id !== "string" || !/^[a-z0-9][a-z0-9_-]*$/.test(id))
          throw new PackageGuardError("INVALID_REQUIREMENT", `Invalid skill id '${String(id)}'`);
        return id;
      },
      async withSkill<T>(_skill: string, fn: (v: SkillVenv) => Promise<T>): Promise<T> {
        if (o.busy) throw new PackageGuardError("BUSY", "Skill 's1' is busy with another install; retry shortly");
        return fn(venv);
      },
      claimOwner: async (_skill: string, name: string) => ({ name }),
    },
    plan: (v, request, signal) => planChange(planDeps, v, request, signal),
    approvals: {
      grantFor: async (key) => (o.granted?.includes(key.package) ? ({ id: "apr_granted" } as never) : undefined),
      request: async (key) => ({ approval: { id: `apr_${key.package}` } as never }),
    },
    audit: { append: async (input) => void audit.push(input) },
    now: () => new Date("2026-01-01T00:00:00Z"),
  };
  return { ctx, audit, resolved, apply };
};

const vet = (ctx: VetContext, requirements: string[], skill = "s1") =>
  vetRequirements(ctx, { skill, requirements, source: "hook", maturity: "student", client: "test" });

describe("vetting a skill's dependencies", () => {
  it("allows what passes policy, resolve and scan, installs nothing, and audits each one as 'vetted'", async () => {
    const { ctx, audit, apply } = fakeContext();
    const r = await vet(ctx, ["pyyaml>=6", "tinycalc"]);
    expect(r.decision).toBe("allow");
    expect(r.items.map((i) => [i.requirement, i.allowed, i.requiresApproval])).toEqual([
      ["pyyaml>=6", true, false],
      ["tinycalc", true, false],
    ]);
    expect(apply).not.toHaveBeenCalled();
    expect(audit.map((a) => [a.source, a.status, a.package, a.version, a.skillId, a.maturity, a.details?.vet])).toEqual(
      [
        ["hook", "vetted", "pyyaml", "1.0", "s1", "student", true],
        ["hook", "vetted", "tinycalc", "1.0", "s1", "student", true],
      ],
    );
  });

  it("blocks on any denial, keeps the declared order and each reason, resolves only what policy allowed", async () => {
    const { ctx, audit, resolved } = fakeContext({ vulnerable: ["pyyaml"] });
    const r = await vet(ctx, ["pyyaml==5.3", "evil", "tinycalc"]);
    expect(r.decision).toBe("block");
    expect(r.items.map((i) => [i.requirement, i.allowed, i.code ?? null])).toEqual([
      ["pyyaml==5.3", false, "VULNERABLE"],
      ["evil", false, "NOT_WHITELISTED"],
      ["tinycalc", true, null],
    ]);
    expect(r.items[0]!.message).toContain("PYSEC-pyyaml in pyyaml 1.0 (fixed in 9.9)");
    expect(r.items[0]!.findings).toHaveLength(1);
    // The vulnerable one is not carried into the next resolve: each is judged as a pre-install would install it.
    expect(resolved.map((w) => Object.keys(w))).toEqual([["pyyaml"], ["tinycalc"]]);
    expect(audit.map((a) => [a.status, a.code, a.vulnerabilitiesFound ?? 0])).toEqual([
      ["blocked", "VULNERABLE", 1],
      ["blocked", "NOT_WHITELISTED", 0],
      ["vetted", null, 0],
    ]);
  });

  it("lets through what an operator override for this skill covers, names it, and still blocks the rest", async () => {
    const { ctx, audit } = fakeContext({ vulnerable: ["pyyaml", "jinja2"], overridden: ["pyyaml"] });
    const r = await vet(ctx, ["pyyaml==5.3", "jinja2"]);
    expect(r.decision).toBe("block");
    expect(r.items[0]).toMatchObject({
      allowed: true,
      overridden: [{ advisory: "PYSEC-pyyaml", package: "pyyaml", override: "ovr_pyyaml", expires: "2026-02-01" }],
    });
    expect(r.items[0]!.message).toBe("Allowed: PYSEC-pyyaml in pyyaml 1.0 by override ovr_pyyaml (until 2026-02-01)");
    expect(r.items[1]).toMatchObject({ allowed: false, code: "VULNERABLE" });
    expect(audit.map((a) => [a.status, a.vulnerabilities, a.details?.overrides ?? null])).toEqual([
      ["vetted", ["PYSEC-pyyaml"], [{ override: "ovr_pyyaml", advisory: "PYSEC-pyyaml" }]],
      ["blocked", ["PYSEC-jinja2"], null],
    ]);
    // The same override does not reach another skill.
    expect(
      (await vet(fakeContext({ vulnerable: ["pyyaml"], overridden: ["pyyaml"] }).ctx, ["pyyaml==5.3"], "s2")).decision,
    ).toBe("block");
  });

  it("resolves each dependency on top of what the venv holds and the earlier ones", async () => {
    const { ctx, resolved } = fakeContext({ installed: { numpy: { specifier: "", extras: [], requestedAt: "x" } } });
    await vet(ctx, ["pandas", "pyyaml"]);
    expect(resolved.map((w) => Object.keys(w))).toEqual([
      ["numpy", "pandas"],
      ["numpy", "pandas", "pyyaml"],
    ]);
  });

  it("warns when an entry needs an approval that was not granted, and records a pending approval", async () => {
    const { ctx, audit } = fakeContext({ approval: ["datakit", "numpy"], granted: ["numpy"] });
    const r = await vet(ctx, ["datakit", "numpy"]);
    expect(r.decision).toBe("warn");
    expect(r.items[0]).toMatchObject({
      allowed: true,
      requiresApproval: true,
      code: "APPROVAL_REQUIRED",
      approvalId: "apr_datakit",
    });
    expect(r.items[0]!.message).toContain("approval apr_datakit is pending");
    expect(r.items[1]).toMatchObject({ allowed: true, requiresApproval: false });
    expect(audit.map((a) => [a.status, a.details?.approvalId ?? null])).toEqual([
      ["approval_requested", "apr_datakit"],
      ["vetted", null],
    ]);
  });

  it("a resolver failure, a busy skill or an invalid skill id blocks with its code", async () => {
    const stuck = await vet(fakeContext({ unresolvable: ["tinycalc"] }).ctx, ["tinycalc"]);
    expect(stuck.items[0]).toMatchObject({ allowed: false, code: "INSTALL_FAILED" });
    const busy = await vet(fakeContext({ busy: true }).ctx, ["tinycalc", "evil"]);
    expect(busy.items.map((i) => i.code)).toEqual(["BUSY", "NOT_WHITELISTED"]);
    const { ctx, audit } = fakeContext();
    const bad = await vet(ctx, ["tinycalc"], "../etc");
    expect(bad).toMatchObject({ decision: "block", items: [{ code: "INVALID_REQUIREMENT" }] });
    expect(audit[0]).toMatchObject({ status: "blocked", skillId: null, code: "INVALID_REQUIREMENT" });
  });

  it("problems reading the declarations block and are audited once", async () => {
    const { ctx, audit } = fakeContext();
    const r = await vetRequirements(ctx, {
      skill: "s1",
      requirements: ["tinycalc"],
      source: "policy",
      maturity: "student",
      problems: [{ ruleId: "package-guard.frontmatter-yaml", message: "not YAML" }],
    });
    expect(r.decision).toBe("block");
    expect(audit.map((a) => [a.source, a.status, a.code])).toEqual([
      ["policy", "blocked", "INVALID_REQUIREMENT"],
      ["policy", "vetted", null],
    ]);
  });

  it("nothing declared: allow without touching the venv", async () => {
    const { ctx, audit, resolved } = fakeContext({ busy: true });
    expect(await vet(ctx, [])).toMatchObject({ decision: "allow", items: [] });
    expect(audit).toEqual([]);
    expect(resolved).toEqual([]);
  });

  it("a cancelled vet denies what it did not finish", async () => {
    const { ctx } = fakeContext();
    const controller = new AbortController();
    controller.abort();
    const r = await vetRequirements(
      ctx,
      { skill: "s1", requirements: ["tinycalc"], source: "hook", maturity: "student" },
      controller.signal,
    );
    expect(r.items[0]).toMatchObject({ allowed: false, code: "SCANNER_UNAVAILABLE" });
    expect(r.items[0]!.message).toContain("ran out of time");
  });
});
