import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { cooldownFor, cutoffOf, eligibleAt, parseCooldown, uvCooldownArgs } from "../../../src/policy/cooldown.js";

const NOW = new Date("2026-06-15T12:00:00.000Z");
const cutoff = (spec: string) => {
  const c = parseCooldown(spec);
  return c === null ? null : cutoffOf(c, NOW).toISOString();
};

describe("release cooldown specs", () => {
  it("reads durations, as uv does, into a cutoff before now", () => {
    expect(cutoff("3 days")).toBe("2026-06-12T12:00:00.000Z");
    expect(cutoff("1 week 2 days")).toBe("2026-06-06T12:00:00.000Z");
    expect(cutoff("48h")).toBe("2026-06-13T12:00:00.000Z");
    expect(cutoff("1 day, 12 hours")).toBe("2026-06-14T00:00:00.000Z");
    expect(cutoff("PT48H")).toBe("2026-06-13T12:00:00.000Z");
    expect(cutoff("P1W")).toBe("2026-06-08T12:00:00.000Z");
    expect(cutoff("p2dt30m")).toBe("2026-06-13T11:30:00.000Z");
    expect(cutoff("0 days")).toBe("2026-06-15T12:00:00.000Z");
  });

  it("reads dates (midnight UTC) and RFC 3339 instants as fixed cutoffs", () => {
    expect(cutoff("2026-01-31")).toBe("2026-01-31T00:00:00.000Z");
    expect(cutoff("2026-01-31T10:00:00Z")).toBe("2026-01-31T10:00:00.000Z");
    expect(cutoff("2026-01-31T10:00:00.5+02:00")).toBe("2026-01-31T08:00:00.500Z");
  });

  it("refuses what it cannot compute exactly, and typos", () => {
    for (const bad of [
      "3 months",
      "1 year",
      "soon",
      "3",
      "days",
      "P",
      "PT",
      "2026-02-30",
      "2026-01-31T10:00",
      "-3 days",
      "3 constructor",
    ])
      expect(parseCooldown(bad), bad).toBeNull();
  });

  it("says when a release leaves a duration cooldown, and that a fixed cutoff never lets it in", () => {
    const uploaded = new Date("2026-06-14T00:00:00Z");
    expect(eligibleAt(parseCooldown("3 days")!, uploaded)?.toISOString()).toBe("2026-06-17T00:00:00.000Z");
    expect(eligibleAt(parseCooldown("2026-01-01")!, uploaded)).toBeNull();
  });
});

describe("cooldown configuration", () => {
  it("is on by default (3 days), with per-package exceptions by PEP 503 name", () => {
    const c = parseConfig({ index: { excludeNewerPackages: { Py_YAML: false, "tiny.calc": "1 hour" } } }, "/s");
    expect(c.index.excludeNewer).toBe("3 days");
    expect(cooldownFor(c.index.cooldowns, "numpy")).toEqual({ spec: "3 days", ms: 259_200_000 });
    expect(cooldownFor(c.index.cooldowns, "py-yaml")).toBeNull();
    expect(cooldownFor(c.index.cooldowns, "tiny-calc")).toEqual({ spec: "1 hour", ms: 3_600_000 });
    expect(uvCooldownArgs(c.index.cooldowns, NOW)).toEqual([
      "--exclude-newer",
      "2026-06-12T12:00:00.000Z",
      "--exclude-newer-package",
      "py-yaml=false",
      "--exclude-newer-package",
      "tiny-calc=2026-06-15T11:00:00.000Z",
    ]);
  });

  it("false turns it off; an exception can still impose one", () => {
    const c = parseConfig({ index: { excludeNewer: false, excludeNewerPackages: { numpy: "2026-01-01" } } }, "/s");
    expect(c.index.cooldowns.default).toBeNull();
    expect(uvCooldownArgs(c.index.cooldowns, NOW)).toEqual([
      "--exclude-newer-package",
      "numpy=2026-01-01T00:00:00.000Z",
    ]);
  });

  it("a spec it cannot read, or a key that is no package name, is a configuration error with its path", () => {
    expect(() => parseConfig({ index: { excludeNewer: "3 fortnights" } }, "/s")).toThrow(
      "/index/excludeNewer: '3 fortnights' is not a duration",
    );
    expect(() => parseConfig({ index: { excludeNewerPackages: { "a=b --index-url x": false } } }, "/s")).toThrow(
      "/index/excludeNewerPackages/a=b --index-url x: not a package name",
    );
    expect(() => parseConfig({ index: { excludeNewer: "-3 days" } }, "/s")).toThrow("must not start with '-'");
    expect(() => parseConfig({ index: { excludeNewer: true } }, "/s")).toThrow("/index/excludeNewer");
  });
});
