import { describe, expect, it } from "vitest";
import { parseConfig, validateConfig } from "../../../src/config.js";

describe("parseConfig", () => {
  it("works with no block at all, with safe defaults under the state dir", () => {
    const c = parseConfig(undefined, "/state");
    expect(c.defaultMaturity).toBe("student");
    expect(c.venvRoot).toBe("/state/package-guard/venvs");
    expect(c.audit.file).toBe("/state/package-guard/audit.jsonl");
    expect(c.whitelist.overlayFile).toBe("/state/package-guard/whitelist.yaml");
    expect(c.scan).toMatchObject({ scanner: "pip-audit", cacheTtlHours: 24, ignore: [] });
    expect(c.index).toMatchObject({ url: "https://pypi.org/simple", onlyBinary: true, findLinks: [] });
    expect(c.python.installer).toBe("auto");
    expect(c.hooks).toEqual({ maturity: "student", preinstall: true });
  });

  it("hooks.maturity follows defaultMaturity unless set", () => {
    expect(parseConfig({ defaultMaturity: "intern" }, "/s").hooks.maturity).toBe("intern");
    expect(parseConfig({ defaultMaturity: "intern", hooks: { maturity: "student" } }, "/s").hooks.maturity).toBe(
      "student",
    );
  });

  it("resolves relative paths against the config file's folder and ~ against home", () => {
    const c = parseConfig(
      { whitelist: { file: "wl.yaml" }, venvRoot: "~/venvs", scan: { osvDbDir: "/abs/db" } },
      "/state",
      "/etc/openclaw",
    );
    expect(c.whitelist.file).toBe("/etc/openclaw/wl.yaml");
    expect(c.venvRoot.endsWith("/venvs")).toBe(true);
    expect(c.venvRoot.startsWith("~")).toBe(false);
    expect(c.scan.osvDbDir).toBe("/abs/db");
  });

  it.each([
    [{ defaultMaturity: "god" }, "/defaultMaturity", "must be one of: student, intern, supervised, autonomous"],
    [{ agents: { main: "root" } }, "/agents/main", "must be one of"],
    [{ python: { uv: "--index-url=http://evil" } }, "/python/uv", "must not start with '-'"],
    [{ python: { installer: "conda" } }, "/python/installer", "must be one of: auto, uv, pip"],
    [{ index: { url: "ftp://x" } }, "/index/url", "must match pattern"],
    [{ index: { url: "https://x y" } }, "/index/url", "must match pattern"],
    [{ scan: { cacheTtlHours: -1 } }, "/scan/cacheTtlHours", "must be >= 0"],
    [{ scan: { ignore: [{ id: "PYSEC-1", reason: "x" }] } }, "/scan/ignore/0", "must have required properties expires"],
    [
      { scan: { ignore: [{ id: "PYSEC-1", reason: "x", expires: "soon" }] } },
      "/scan/ignore/0/expires",
      'must match format "date"',
    ],
    [
      { whitelist: { tiers: { student: [{ package: "x", max_memory_mb: "lots" }] } } },
      "/whitelist/tiers/student/0/max_memory_mb",
      "must be integer",
    ],
    [{ whitelist: { tiers: { wizard: [] } } }, "/whitelist/tiers", "unknown key(s): wizard"],
    [{ bogus: true }, "/", "unknown key(s): bogus"],
  ])("rejects %j at %s", (block, path, message) => {
    const problems = validateConfig(block);
    expect(problems.some((p) => p.path === path && p.message.includes(message))).toBe(true);
    expect(() => parseConfig(block, "/s")).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringContaining(path) }),
    );
  });

  it("npm: defaults, a registry always ending in '/', and no credentials or options in it", () => {
    expect(parseConfig(undefined, "/state").npm).toEqual({
      npm: "npm",
      registry: "https://registry.npmjs.org/",
      installTimeoutMs: 600_000,
      lockTimeoutMs: 120_000,
      maxPackages: 2000,
      componentsRoot: "/state/package-guard/components",
    });
    expect(parseConfig({ npm: { registry: "http://127.0.0.1:4873" } }, "/s").npm.registry).toBe(
      "http://127.0.0.1:4873/",
    );
    expect(parseConfig({ npm: { registry: "https://mirror.example/npm//" } }, "/s").npm.registry).toBe(
      "https://mirror.example/npm/",
    );
    for (const registry of ["https://user:token@registry.example/", "ftp://x/", "https://x/ -y", "--registry=x"]) {
      expect(() => parseConfig({ npm: { registry } }, "/s"), registry).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringContaining("/npm/registry") }),
      );
    }
    expect(JSON.stringify(validateConfig({ npm: { registry: "https://u:s3cret@r.example/" } }))).not.toContain(
      "s3cret",
    );
    expect(validateConfig({ npm: { npm: "-x", maxPackages: 0, other: 1 } })).toHaveLength(3);
  });

  it("reports every problem at once, not just the first", () => {
    expect(validateConfig({ defaultMaturity: "x", python: { installer: "y" }, extra: 1 })).toHaveLength(3);
  });
});
