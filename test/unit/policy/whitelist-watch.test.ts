import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig, type PackageGuardConfig } from "../../../src/config.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";

let dir: string;
let config: PackageGuardConfig;
let services: Services;
const operatorFile = () => join(dir, "operator-whitelist.yaml");

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-wl-watch-"));
  await writeFile(operatorFile(), "tiers:\n  student:\n    - package: tinycalc\n      version: '>=1,<2'\n");
  config = parseConfig({ whitelist: { file: operatorFile(), includeDefault: false } }, dir);
  services = await openServices(config);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const edits = async () =>
  (await services.operator.installations({ status: "whitelist_changed", limit: 50 }))
    .filter((r) => r.details?.action === "edited")
    .map((r) => ({ file: r.details?.file, source: r.source, before: r.details?.sha256Before !== null }));

describe("a whitelist change made by any other writer is audited", () => {
  it("a hand edit of the overlay (by a script, a shell) becomes a record; our own writes are not doubled", async () => {
    await services.operator.whitelistList("student");
    const baseline = await edits();
    await services.operator.whitelistAdd({ package: "datakit", maturity: "student" }, { source: "cli", client: "cli" });
    await services.operator.whitelistList("student");
    expect(await edits()).toEqual(baseline);

    await writeFile(config.whitelist.overlayFile, "tiers:\n  student:\n    - package: evilpkg\n");
    const view = await services.operator.whitelistList("student");
    expect(view.map((e) => e.package)).toContain("evilpkg");
    expect((await edits()).slice(0, 1)).toEqual([
      { file: config.whitelist.overlayFile, source: "system", before: true },
    ]);
    // Seen once, recorded once: another read (or another process) does not record it again.
    await services.operator.whitelistList("student");
    const fresh = await openServices(config);
    await fresh.operator.whitelistList("student");
    expect((await edits()).filter((e) => e.file === config.whitelist.overlayFile && e.before)).toHaveLength(1);
  });

  it("an edit of whitelist.file made while nothing ran is caught by the next process that reads it", async () => {
    await services.operator.whitelistList("student");
    await writeFile(operatorFile(), "tiers:\n  student:\n    - package: tinycalc\n    - package: other\n");
    const next = await openServices(config);
    await next.operator.whitelistList("student");
    expect((await edits()).filter((e) => e.file === operatorFile() && e.before)).toEqual([
      { file: operatorFile(), source: "system", before: true },
    ]);
    expect(await next.operator.verifyAudit()).toMatchObject({ ok: true });
  });
});
