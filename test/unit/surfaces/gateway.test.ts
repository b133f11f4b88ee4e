import { describe, expect, it, vi } from "vitest";
import { PackageGuardError } from "../../../src/errors.js";
import type { OperatorService } from "../../../src/service/operator.js";
import type { PackageService } from "../../../src/service/pipeline.js";
import type { Services } from "../../../src/service/services.js";
import { registerGatewayMethods } from "../../../src/surfaces/gateway.js";

type Handler = (opts: {
  params: Record<string, unknown>;
  respond: (ok: boolean, payload?: unknown, error?: unknown) => void;
  client: unknown;
}) => Promise<void>;

const setup = (service: Partial<Record<keyof PackageService | keyof OperatorService, unknown>>) => {
  const handlers = new Map<string, { handler: Handler; scope: string }>();
  registerGatewayMethods(
    (method, handler, opts) => handlers.set(method, { handler: handler as Handler, scope: opts.scope }),
    async () => ({ packages: service, operator: service }) as unknown as Services,
  );
  const call = async (method: string, params: Record<string, unknown>, client: unknown = null) => {
    const respond = vi.fn();
    await handlers.get(method)!.handler({ params, respond, client });
    const [ok, payload, error] = respond.mock.calls[0]!;
    return { ok, payload, error } as {
      ok: boolean;
      payload: unknown;
      error?: { code: string; message: string; details: Record<string, unknown>; retryable: boolean };
    };
  };
  return { handlers, call };
};

describe("gateway methods", () => {
  it("declares the scopes of DESIGN.md (an omitted scope would default to admin)", () => {
    const { handlers } = setup({});
    expect(Object.fromEntries([...handlers].map(([m, h]) => [m, h.scope]))).toEqual({
      "packages.install": "operator.write",
      "packages.uninstall": "operator.write",
      "packages.installed": "operator.read",
      "packages.installations": "operator.read",
      "packages.whitelist.list": "operator.read",
      "packages.whitelist.add": "operator.admin",
      "packages.whitelist.remove": "operator.admin",
      "packages.approvals.list": "operator.read",
      "packages.approvals.resolve": "operator.approvals",
      "packages.overrides.list": "operator.read",
      "packages.overrides.add": "operator.approvals",
      "packages.audit.verify": "operator.read",
      "packages.audit.prune": "operator.admin",
      "packages.doctor": "operator.read",
      "packages.advisories.status": "operator.read",
      "packages.advisories.update": "operator.admin",
      "packages.exposure": "operator.read",
      "packages.rescan": "operator.write",
      "packages.quarantine": "operator.admin",
      "packages.quarantine.release": "operator.admin",
      "packages.quarantine.list": "operator.read",
      "packages.sbom": "operator.read",
    });
  });

  it("packages.shell.check (read scope) hands the command, agent and workdir to the shell gate", async () => {
    const handlers = new Map<string, { handler: Handler; scope: string }>();
    const shellCheck = vi.fn(async () => ({ decision: "block" }));
    registerGatewayMethods(
      (method, handler, opts) => handlers.set(method, { handler: handler as Handler, scope: opts.scope }),
      async () => ({}) as unknown as Services,
      () => null,
      shellCheck,
    );
    expect(handlers.get("packages.shell.check")?.scope).toBe("operator.read");
    const respond = vi.fn();
    await handlers.get("packages.shell.check")!.handler({
      params: { command: "pip install six", agentId: "main", workdir: "/tmp" },
      respond,
      client: null,
    });
    expect(shellCheck).toHaveBeenCalledWith("pip install six", { agentId: "main", workdir: "/tmp" });
    expect(respond).toHaveBeenCalledWith(true, { decision: "block" });
  });

  it("maps a PackageGuardError to the gateway's shape, keeping our code in details", async () => {
    const install = vi
      .fn()
      .mockRejectedValue(
        new PackageGuardError(
          "NOT_WHITELISTED",
          "Package 'requests' is not approved for student agents; approved at: intern",
          { details: { package: "requests" } },
        ),
      );
    const { call } = setup({ install });
    const r = await call("packages.install", { package: "requests", skill: "s1" });
    expect(r.ok).toBe(false);
    expect(r.error).toEqual({
      code: "FORBIDDEN",
      message: "Package 'requests' is not approved for student agents; approved at: intern",
      details: { code: "NOT_WHITELISTED", package: "requests" },
      retryable: false,
    });
  });

  it("marks BUSY and SCANNER_UNAVAILABLE retryable", async () => {
    for (const code of ["BUSY", "SCANNER_UNAVAILABLE"] as const) {
      const { call } = setup({ install: vi.fn().mockRejectedValue(new PackageGuardError(code, "x")) });
      const r = await call("packages.install", { package: "pandas", skill: "s1" });
      expect(r.error).toMatchObject({ code: "UNAVAILABLE", retryable: true, details: { code } });
    }
  });

  it("hands a malformed package to the service, which refuses and logs it (no refusal skips the log)", async () => {
    const install = vi
      .fn()
      .mockRejectedValue(new PackageGuardError("INVALID_REQUIREMENT", "The package must be a string"));
    const { call } = setup({ install });
    const r = await call("packages.install", { package: ["pandas"], skill: "s1" });
    expect(install).toHaveBeenCalledWith(
      { package: ["pandas"], skill: "s1" },
      expect.objectContaining({ source: "rpc" }),
    );
    expect(r.error).toMatchObject({ code: "INVALID_REQUEST", details: { code: "INVALID_REQUIREMENT" } });
  });

  it("passes agentId and the client identity, never a maturity", async () => {
    const install = vi.fn().mockResolvedValue({ package: "pandas" });
    const { call } = setup({ install });
    await call(
      "packages.install",
      { package: "pandas", skill: "s1", agentId: "main", maturity: "autonomous" },
      { connId: "c-1" },
    );
    expect(install).toHaveBeenCalledWith(
      { package: "pandas", skill: "s1" },
      { source: "rpc", agentId: "main", client: "c-1" },
    );
  });

  it("caps installations at 500 and validates the status filter", async () => {
    const installations = vi.fn().mockResolvedValue([]);
    const { call } = setup({ installations });
    expect((await call("packages.installations", { limit: 501 })).error).toMatchObject({ code: "INVALID_REQUEST" });
    expect((await call("packages.installations", { status: "pwned" })).error).toMatchObject({
      code: "INVALID_REQUEST",
    });
    await call("packages.installations", { skill: "s1" });
    expect(installations).toHaveBeenLastCalledWith(expect.objectContaining({ limit: 100, skillId: "s1" }));
  });

  it("defaults whitelist.list to the student tier", async () => {
    const whitelistList = vi.fn().mockResolvedValue([]);
    const { call } = setup({ whitelistList });
    await call("packages.whitelist.list", {});
    expect(whitelistList).toHaveBeenCalledWith("student", undefined, "PyPI");
    await call("packages.whitelist.list", { ecosystem: "npm", maturity: "intern" });
    expect(whitelistList).toHaveBeenLastCalledWith("intern", undefined, "npm");
    expect((await call("packages.whitelist.list", { ecosystem: "cargo" })).error).toMatchObject({
      code: "INVALID_REQUEST",
    });
  });

  it("whitelist.add takes the ecosystem in the entry or beside it; remove takes it beside the package", async () => {
    const whitelistAdd = vi.fn().mockResolvedValue({});
    const whitelistRemove = vi.fn().mockResolvedValue({});
    const { call } = setup({ whitelistAdd, whitelistRemove });
    await call("packages.whitelist.add", { entry: { package: "d3", ecosystem: "npm" } });
    expect(whitelistAdd).toHaveBeenLastCalledWith({ package: "d3", ecosystem: "npm" }, expect.anything());
    await call("packages.whitelist.add", { entry: { package: "d3" }, ecosystem: "npm" });
    expect(whitelistAdd).toHaveBeenLastCalledWith({ package: "d3", ecosystem: "npm" }, expect.anything());
    await call("packages.whitelist.add", { entry: { package: "pandas" } });
    expect(whitelistAdd).toHaveBeenLastCalledWith({ package: "pandas" }, expect.anything());
    await call("packages.whitelist.remove", { package: "d3", ecosystem: "npm" });
    expect(whitelistRemove).toHaveBeenLastCalledWith("d3", undefined, expect.anything(), "npm");
  });

  it("packages.sbom answers with the CycloneDX document itself, or the lock file's text with its format", async () => {
    const bom = { bomFormat: "CycloneDX", specVersion: "1.6" };
    const sbom = vi.fn(async (skill: string, format = "cyclonedx") =>
      format === "pylock" ? { skill, format, pylock: 'lock-version = "1.0"\n' } : { skill, format, bom },
    );
    const { call } = setup({ sbom });
    expect(await call("packages.sbom", { skill: "s1" })).toMatchObject({ ok: true, payload: bom });
    expect(await call("packages.sbom", { skill: "s1", format: "pylock" })).toMatchObject({
      ok: true,
      payload: { skill: "s1", format: "pylock", pylock: 'lock-version = "1.0"\n' },
    });
    expect(sbom.mock.calls).toEqual([
      ["s1", undefined],
      ["s1", "pylock"],
    ]);
    const bad = await call("packages.sbom", { skill: "s1", format: "spdx" });
    expect(bad.error).toMatchObject({ code: "INVALID_REQUEST", details: { code: "INVALID_REQUIREMENT" } });
    expect((await call("packages.sbom", {})).error).toMatchObject({ code: "INVALID_REQUEST" });
  });
});
