import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { createScanner } from "../../../src/scan/factory.js";
import type { Runner } from "../../../src/util/exec.js";

const runner: Runner = async () => {
  throw new Error("not called");
};

describe("createScanner", () => {
  let state: string;
  beforeAll(async () => {
    state = await mkdtemp(join(tmpdir(), "factory-"));
  });
  afterAll(() => rm(state, { recursive: true, force: true }));
  const settings = (scan: Record<string, unknown> = {}) => ({
    ...parseConfig({ scan }, state).scan,
    pipAudit: "pip-audit",
    cacheDir: join(state, "cache"),
  });

  it("builds the configured backend", () => {
    expect(createScanner(settings(), runner).id).toBe("pip-audit:pypi");
    expect(
      createScanner(settings({ vulnerabilityService: "osv", osvUrl: "http://127.0.0.1:1/v1/query" }), runner).id,
    ).toBe("pip-audit:osv(http://127.0.0.1:1/v1/query)");
    expect(createScanner(settings({ scanner: "osv-db", osvDbDir: "/data/advisories" }), runner).id).toBe("osv-db");
  });

  it("reads the managed database for osv-db without a directory, and says how to create it if missing", async () => {
    const scanner = createScanner(settings({ scanner: "osv-db" }), runner);
    await expect(scanner.source()).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
      message: expect.stringContaining("package-guard advisories update"),
    });
    expect(await scanner.probe()).toMatchObject({
      ok: false,
      backend: "osv-db",
      fix: expect.stringContaining("package-guard advisories update"),
    });
  });
});
