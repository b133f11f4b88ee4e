import { describe, expect, it } from "vitest";
import type { VulnerabilityOverride } from "../../../src/policy/overrides.js";
import { applyOverrides } from "../../../src/service/apply-overrides.js";
import type { VulnerabilityFinding } from "../../../src/service/types.js";

/*
 * Issue 15 item 2: malware is never overridable, even by an override the store never refused - one written into
 * overrides.json by hand, or by an older version. The pipelines' own last line, apart from the store's checks.
 */
const NOW = new Date("2026-11-30T12:00:00Z");
const override = (advisories: string[]): VulnerabilityOverride => ({
  id: "ovr-1",
  skill: "etl",
  package: "tinycalc",
  version: "1.0.0",
  advisories,
  reason: "written by hand",
  expires: "2999-12-31",
  createdAt: "2026-11-01T00:00:00Z",
  createdBy: "someone",
});
const finding = (id: string, aliases: string[] = []): VulnerabilityFinding => ({
  id,
  aliases,
  ecosystem: "PyPI",
  package: "tinycalc",
  version: "1.0.0",
  fixedVersions: [],
});
const store = (live: VulnerabilityOverride[]) => ({ live: async () => live });

describe("applyOverrides", () => {
  it("lets through the advisory an override names, for its skill", async () => {
    const split = await applyOverrides(store([override(["PYSEC-2099-1"])]), "etl", [finding("PYSEC-2099-1")], NOW);
    expect(split.blocking).toEqual([]);
    expect(split.overridden.map((o) => o.finding.id)).toEqual(["PYSEC-2099-1"]);
  });

  it("never lets malware through, named by its MAL- id or by an alias of it", async () => {
    const byId = override(["MAL-2099-10"]);
    const byAlias = override(["GHSA-aaaa-bbbb-cccc"]);
    const malware = finding("MAL-2099-10");
    const aliased = finding("GHSA-aaaa-bbbb-cccc", ["MAL-2099-11"]);
    const split = await applyOverrides(store([byId, byAlias]), "etl", [malware, aliased], NOW);
    expect(split.overridden).toEqual([]);
    expect(split.blocking.map((f) => f.id)).toEqual(["MAL-2099-10", "GHSA-aaaa-bbbb-cccc"]);
  });

  it("an override for another skill does not apply", async () => {
    const split = await applyOverrides(store([override(["PYSEC-2099-1"])]), "other", [finding("PYSEC-2099-1")], NOW);
    expect(split.blocking.map((f) => f.id)).toEqual(["PYSEC-2099-1"]);
  });
});
