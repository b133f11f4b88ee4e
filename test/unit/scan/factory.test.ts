import { describe, expect, it } from "vitest";
import { createScanner } from "../../../src/scan/factory.js";
import type { Runner } from "../../../src/util/exec.js";

const runner: Runner = async () => {
  throw new Error("not called");
};
const base = {
  scanner: "pip-audit" as const,
  vulnerabilityService: "pypi" as const,
  osvUrl: null,
  osvDbDir: null,
  cacheTtlHours: 24,
  timeoutMs: 60_000,
  ignore: [],
  cacheFile: "/s/scan-cache.json",
  pipAudit: "pip-audit",
  cacheDir: "/s/cache",
};

describe("createScanner", () => {
  it("builds the configured backend", () => {
    expect(createScanner(base, runner).id).toBe("pip-audit:pypi");
    expect(
      createScanner({ ...base, vulnerabilityService: "osv", osvUrl: "http://127.0.0.1:1/v1/query" }, runner).id,
    ).toBe("pip-audit:osv(http://127.0.0.1:1/v1/query)");
    expect(createScanner({ ...base, scanner: "osv-db", osvDbDir: "/data/advisories" }, runner).id).toBe("osv-db");
  });

  it("refuses osv-db without a directory", () => {
    expect(() => createScanner({ ...base, scanner: "osv-db" }, runner)).toThrow(
      expect.objectContaining({ code: "SCANNER_UNAVAILABLE" }),
    );
  });
});
