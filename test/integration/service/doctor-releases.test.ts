import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { openServices } from "../../../src/runtime.js";
import { releaseChecks, releaseSection } from "../../../src/service/doctor-releases.js";
import type { DoctorContext } from "../../../src/service/doctor-types.js";
import { startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { toolConfig } from "../../helpers/tool-paths.js";

/* The doctor's release-check lines against loopback indexes: one speaking PEP 691 JSON, one plain HTML. */
let json: PackageIndex;
let html: PackageIndex;
let stateDir: string;
const NOW = new Date("2026-06-15T12:00:00.000Z");

beforeAll(async () => {
  const packages = [{ name: "tinycalc", version: "1.0.0" }];
  json = await startPackageIndex({ packages });
  html = await startPackageIndex({ packages, formats: "html" });
  stateDir = await mkdtemp(join(tmpdir(), "pg-doctor-releases-"));
});
afterAll(async () => {
  await json?.close();
  await html?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe("doctor: release checks", () => {
  it("shows the default cooldown, its cutoff now, the exceptions, and an index with upload times", async () => {
    const config = parseConfig({ index: { url: json.url, excludeNewerPackages: { TinyCalc: false } } }, stateDir);
    expect(await releaseChecks(config, NOW)).toEqual({
      cooldown: "3 days",
      cutoff: "2026-06-12T12:00:00.000Z",
      exceptions: { TinyCalc: false },
      yanked: "refused",
      index: { json: true, apiVersion: "1.1" },
      ok: true,
      fixes: [],
    });
  });

  it("an index without PEP 691 JSON under a cooldown is a problem with its fix; with none, not asked", async () => {
    const withCooldown = await releaseChecks(parseConfig({ index: { url: html.url } }, stateDir), NOW);
    expect(withCooldown).toMatchObject({ ok: false, index: { json: false } });
    expect(withCooldown.fixes[0]).toContain("serves no PEP 691 JSON");
    expect(withCooldown.fixes[0]).toContain("set index.excludeNewer to false");
    const off = await releaseChecks(parseConfig({ index: { url: html.url, excludeNewer: false } }, stateDir), NOW);
    expect(off).toMatchObject({ ok: true, cooldown: false, cutoff: null, index: { json: null } });
    expect(html.requests.filter((r) => r === "/simple/")).toHaveLength(1);
  });

  it("the operator's doctor carries these lines and fails on them", async () => {
    const services = await openServices(
      parseConfig(
        {
          python: toolConfig(),
          index: { url: html.url },
          whitelist: { includeDefault: false, tiers: { student: [{ package: "tinycalc", version: ">=1,<2" }] } },
          scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
        },
        stateDir,
      ),
    );
    const report = await services.operator.doctor();
    // Everything else is healthy here: the index without upload times is what fails the doctor.
    expect(report.scanner?.ok).toBe(true);
    expect(report.checks.filter((c) => c.status === "fail").map((c) => c.check)).toEqual(["upload times"]);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.check === "cooldown")).toMatchObject({ status: "ok" });
    expect(report.checks.find((c) => c.check === "cooldown")?.detail).toMatch(
      /^3 days: releases uploaded after \d{4}-\d\d-\d\dT[\d:.]+Z are refused \(TOO_NEW\)$/,
    );
    expect(report.checks.find((c) => c.check === "yanked")).toMatchObject({ status: "ok" });
    expect(report.fixes.some((f) => f.includes("set index.excludeNewer to false"))).toBe(true);
    expect(report.config?.index).toMatchObject({ excludeNewer: "3 days", excludeNewerPackages: {} });
  });
});

describe("doctor: the release section", () => {
  const ctx = (index: Record<string, unknown>, indexReachable = true) =>
    ({ config: parseConfig({ index }, stateDir), indexReachable }) as unknown as DoctorContext;

  it("names the cooldown's cutoff and its exceptions, yanked releases, and the index's JSON api-version", async () => {
    const checks = await releaseSection(ctx({ url: json.url, excludeNewerPackages: { TinyCalc: false } }), NOW);
    expect(checks).toEqual([
      {
        check: "cooldown",
        status: "ok",
        detail:
          "3 days: releases uploaded after 2026-06-12T12:00:00.000Z are refused (TOO_NEW); " +
          "exceptions: TinyCalc no cooldown",
      },
      { check: "yanked", status: "ok", detail: "yanked releases (PEP 592) are refused, even pinned with == (YANKED)" },
      { check: "upload times", status: "ok", detail: "the index serves PEP 691 JSON (api-version 1.1)" },
    ]);
  });

  it("an index that already failed its own line is not asked again; a cooldown turned off says so", async () => {
    const before = html.requests.length;
    const unreachable = await releaseSection(ctx({ url: html.url }, false), NOW);
    expect(unreachable.map((c) => c.check)).toEqual(["cooldown", "yanked"]);
    expect(html.requests.length).toBe(before);
    const off = await releaseSection(ctx({ url: html.url, excludeNewer: false }), NOW);
    expect(off[0]).toEqual({
      check: "cooldown",
      status: "ok",
      detail: "off (index.excludeNewer is false): releases are installed however new",
    });
    expect(off.map((c) => c.check)).toEqual(["cooldown", "yanked"]);
  });
});
