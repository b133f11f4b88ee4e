import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../../src/audit/log.js";
import { parseConfig, type PackageGuardConfig } from "../../../src/config.js";
import { WhitelistSources } from "../../../src/policy/whitelist-sources.js";
import type { PythonEnvironment } from "../../../src/python/environment.js";
import { OperatorService } from "../../../src/service/operator.js";

let dir: string;
let config: PackageGuardConfig;
let audit: AuditLog;
let operator: OperatorService;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-wl-write-"));
  config = parseConfig({ whitelist: { includeDefault: false } }, dir);
  audit = await AuditLog.open(config.audit.file);
  const python = { installed: async () => [] } as unknown as PythonEnvironment;
  operator = new OperatorService({
    config,
    whitelist: new WhitelistSources(config.whitelist),
    audit,
    python,
  } as unknown as ConstructorParameters<typeof OperatorService>[0]);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cli = { source: "cli" as const, client: "cli" };

describe("whitelist add validates fully before writing", () => {
  it.each([
    ["an empty extra (--extras 'pdf,')", { extras: ["pdf", ""] }],
    ["an extra that is not a name", { extras: ["pdf", "a b"] }],
    ["a range no reader accepts", { version: ">=1,<<2" }],
  ])("%s is refused, nothing is written, and every later command still works", async (_what, patch) => {
    await operator.whitelistAdd({ package: "tinycalc", maturity: "student", version: ">=1,<2" }, cli);
    const before = await readFile(config.whitelist.overlayFile, "utf8");
    await expect(
      operator.whitelistAdd({ package: "tinycalc", maturity: "student", ...patch }, cli),
    ).rejects.toMatchObject({ code: "INVALID_REQUIREMENT" });
    expect(await readFile(config.whitelist.overlayFile, "utf8")).toBe(before);
    // A fresh reader (the next CLI command) still loads the whitelist.
    const fresh = new WhitelistSources(config.whitelist);
    expect((await fresh.current()).lookup("tinycalc", "student")?.version).toBe(">=1,<2");
  });
});

describe("every whitelist change is audited, and so is every refused attempt", () => {
  it("add, remove and a refused add each leave a record naming the action and who asked", async () => {
    await operator.whitelistAdd({ package: "tinycalc", maturity: "student", extras: ["pdf"] }, cli);
    await operator
      .whitelistAdd(
        { package: "tinycalc", maturity: "student", extras: ["pdf", ""] },
        { source: "rpc", client: "op-1" },
      )
      .catch(() => undefined);
    await operator.whitelistRemove("tinycalc", undefined, cli);
    const records = (await audit.query({ limit: 10 })).toReversed();
    expect(records.map((r) => [r.status, r.source, r.client, r.details?.action])).toEqual([
      ["whitelist_changed", "cli", "cli", "add"],
      ["blocked", "rpc", "op-1", "add"],
      ["whitelist_changed", "cli", "cli", "remove"],
    ]);
    expect(records[1]).toMatchObject({ code: "INVALID_REQUIREMENT", requested: "tinycalc" });
    expect(await audit.verify()).toMatchObject({ ok: true, records: 3 });
  });
});

describe("a symlinked overlay", () => {
  it("is refused, not followed, for reading and for writing", async () => {
    const planted = join(dir, "planted.yaml");
    await writeFile(planted, "tiers:\n  student:\n    - package: evil\n");
    await symlink(planted, config.whitelist.overlayFile);
    const sources = new WhitelistSources(config.whitelist);
    await expect(sources.current()).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    await expect(sources.add({ package: "tinycalc", maturity: "student" })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
    expect(await readFile(planted, "utf8")).toBe("tiers:\n  student:\n    - package: evil\n");
  });
});
