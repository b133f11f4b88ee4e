import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OverrideStore, overrideFor } from "../../../src/policy/overrides.js";

let dir: string;
let now: Date;
const store = () => new OverrideStore(join(dir, "overrides.json"), () => now);
const finding = { id: "PYSEC-2020-96", aliases: ["CVE-2020-14343"], package: "pyyaml", version: "5.3" };
const input = {
  skill: "config-tool",
  package: "PyYAML",
  version: "5.3",
  advisories: ["CVE-2020-14343"],
  reason: "loader never sees untrusted input",
  expires: "2026-12-01",
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-overrides-"));
  now = new Date("2026-11-23T10:00:00Z");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("vulnerability overrides", () => {
  it("cover exactly their skill, package, version and advisories, by id or alias, through the expiry day", async () => {
    const s = store();
    const o = await s.add(input, "op");
    expect(o).toMatchObject({ package: "pyyaml", advisories: ["CVE-2020-14343"], createdBy: "op" });
    const live = await s.live();
    expect(overrideFor(live, "config-tool", finding, now)?.id).toBe(o.id);
    expect(overrideFor(live, "other-skill", finding, now)).toBeUndefined();
    expect(overrideFor(live, "config-tool", { ...finding, version: "5.3.1" }, now)).toBeUndefined();
    expect(
      overrideFor(live, "config-tool", { ...finding, id: "PYSEC-2021-142", aliases: ["CVE-2020-1747"] }, now),
    ).toBeUndefined();
    expect(overrideFor(live, "config-tool", finding, new Date("2026-12-01T23:59:59Z"))).toBeDefined();
    expect(overrideFor(live, "config-tool", finding, new Date("2026-12-02T00:00:00Z"))).toBeUndefined();
  });

  it.each([
    [{ version: ">=5" }, "exact version"],
    [{ advisories: [] }, "advisory ids"],
    [{ reason: "" }, "say why"],
    [{ expires: "2020-01-01" }, "in the past"],
    [{ expires: "2030-01-01" }, "at most 366 days"],
    [{ expires: "soon" }, "YYYY-MM-DD"],
    [{ package: "py yaml" }, "package name"],
  ])("refuses %j (%s)", async (patch, words) => {
    await expect(store().add({ ...input, ...patch } as typeof input, "op")).rejects.toMatchObject({
      code: "INVALID_REQUIREMENT",
      message: expect.stringContaining(words),
    });
  });

  it("fails closed on an unreadable file: nothing is let through and the file is not overwritten", async () => {
    await writeFile(join(dir, "overrides.json"), JSON.stringify({ version: 2, overrides: [] }));
    await expect(store().live()).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining("unexpected shape"),
    });
    await expect(store().add(input, "op")).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    expect(JSON.parse(await readFile(join(dir, "overrides.json"), "utf8"))).toEqual({ version: 2, overrides: [] });
  });

  it("refuse malware records: an OSV MAL- id can never be overridden", async () => {
    for (const advisories of [["MAL-2024-1234"], ["PYSEC-2020-96", "mal-2024-9"]]) {
      await expect(store().add({ ...input, advisories }, "op")).rejects.toMatchObject({
        code: "INVALID_REQUIREMENT",
        message: expect.stringContaining("never overridable"),
      });
    }
    expect(await store().live()).toEqual([]);
  });
});
