import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { OverrideStore } from "../../../src/policy/overrides.js";
import { applyIgnoreRules } from "../../../src/scan/ignore.js";

// Days that do not exist: each one is refused by every reader of an operator's date.
const NOT_DAYS = ["2027-02-30", "2027-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-11-00"];

describe("one date rule for overrides and scan.ignore", () => {
  it.each(NOT_DAYS)("overrides add refuses %s (no rolling over into the next month)", async (expires) => {
    const dir = await mkdtemp(join(tmpdir(), "pg-date-"));
    try {
      const store = new OverrideStore(join(dir, "overrides.json"), () => new Date("2026-11-23T10:00:00Z"));
      await expect(
        store.add(
          { skill: "s", package: "pyyaml", version: "5.3", advisories: ["PYSEC-1"], reason: "tested", expires },
          "op",
        ),
      ).rejects.toMatchObject({ code: "INVALID_REQUIREMENT", message: expect.stringContaining("calendar date") });
      expect(await store.list()).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(NOT_DAYS)("scan.ignore refuses %s in the config, and a rule carrying it never applies", (expires) => {
    expect(() => parseConfig({ scan: { ignore: [{ id: "PYSEC-1", reason: "r", expires }] } }, "/tmp/s")).toThrow(
      /scan\/ignore\/0\/expires/,
    );
    const finding = {
      ecosystem: "PyPI" as const,
      id: "PYSEC-1",
      aliases: [],
      package: "p",
      version: "1",
      fixedVersions: [],
    };
    const result = applyIgnoreRules([finding], [{ id: "PYSEC-1", reason: "r", expires }], new Date("2026-01-01"));
    expect(result.ignored).toEqual([]);
  });

  it("both accept a real day, and a leap day in a leap year, through its last second (UTC)", async () => {
    const finding = {
      ecosystem: "PyPI" as const,
      id: "PYSEC-1",
      aliases: [],
      package: "p",
      version: "1",
      fixedVersions: [],
    };
    const rule = { id: "PYSEC-1", reason: "r", expires: "2028-02-29" };
    expect(() => parseConfig({ scan: { ignore: [rule] } }, "/tmp/s")).not.toThrow();
    expect(applyIgnoreRules([finding], [rule], new Date("2028-02-29T23:59:59Z")).ignored).toHaveLength(1);
    expect(applyIgnoreRules([finding], [rule], new Date("2028-03-01T00:00:00Z")).ignored).toHaveLength(0);
    const dir = await mkdtemp(join(tmpdir(), "pg-date-"));
    try {
      const store = new OverrideStore(join(dir, "overrides.json"), () => new Date("2028-01-10T10:00:00Z"));
      const o = await store.add(
        {
          skill: "s",
          package: "pyyaml",
          version: "5.3",
          advisories: ["PYSEC-1"],
          reason: "tested",
          expires: rule.expires,
        },
        "op",
      );
      expect(o.expires).toBe("2028-02-29");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
