import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { componentPaths } from "../../../src/npm/layout.js";
import { withComponentLock } from "../../../src/npm/lock.js";
import { markerScripts, startNpmRegistry, type NpmRegistry } from "../../helpers/npm-registry.js";
import { startOsvServer, type OsvServer } from "../../helpers/osv-server.js";
import { denial, list, npmHarness, osvNpmRecords, type NpmHarness } from "./setup.js";

/*
 * The npm pipeline end to end with the real npm CLI against the loopback registry: policy, lock-only resolve,
 * lockfile checks, scan, `npm ci --ignore-scripts` into <state>/package-guard/components/<id>, audit.
 */
let registry: NpmRegistry;
let osv: OsvServer;
let markers: string;
let h: NpmHarness;
const caller = { source: "tool" as const, agentId: "junior" };

const TIERS = {
  student: [
    { package: "@acme/widget", ecosystem: "npm", version: "^2.0.0", category: "charts" },
    { package: "leftpad", ecosystem: "npm", version: "^1.0.0" },
    { package: "usesvuln", ecosystem: "npm" },
    { package: "usesevil", ecosystem: "npm" },
    { package: "gitdep", ecosystem: "npm" },
    { package: "urldep", ecosystem: "npm" },
    { package: "farurl", ecosystem: "npm" },
    { package: "aliasdep", ecosystem: "npm" },
    { package: "oldhash", ecosystem: "npm" },
    { package: "pinned", ecosystem: "npm" },
    { package: "gated", ecosystem: "npm", requires_approval: true },
    { package: "usesgated", ecosystem: "npm" },
    { package: "usesprivileged", ecosystem: "npm" },
  ],
  // Only agents from supervised up may have this one, asked for or pulled in.
  supervised: [{ package: "privileged", ecosystem: "npm" }],
};

const open = (extra: { scan?: Record<string, unknown>; npm?: Record<string, unknown> } = {}) =>
  npmHarness({
    agents: { junior: "student" },
    whitelist: { includeDefault: false, tiers: TIERS },
    npm: { registry: registry.url, lockTimeoutMs: 10_000, ...extra.npm },
    scan: { osvApiUrl: osv.baseUrl, ...extra.scan },
  });

beforeAll(async () => {
  osv = await startOsvServer(await osvNpmRecords());
  markers = await mkdtemp(join(tmpdir(), "pg-npm-markers-"));
  registry = await startNpmRegistry({
    packages: [
      { name: "leftpad", version: "1.0.0", scripts: markerScripts(markers, "leftpad") },
      { name: "leftpad", version: "1.1.0", scripts: markerScripts(markers, "leftpad") },
      { name: "leftpad", version: "2.0.0" },
      {
        name: "@acme/widget",
        version: "2.0.0",
        dependencies: { leftpad: "^1.0.0" },
        scripts: markerScripts(markers, "widget"),
      },
      { name: "vulnlib", version: "1.0.0" },
      { name: "usesvuln", version: "1.0.0", dependencies: { vulnlib: "1.0.0" } },
      { name: "evilpkg", version: "1.0.0" },
      { name: "usesevil", version: "1.0.0", dependencies: { leftpad: "^1.0.0", evilpkg: "^1.0.0" } },
      { name: "gitdep", version: "1.0.0", dependencies: { helper: "git+https://127.0.0.1:9/evil/helper.git" } },
      { name: "aliasdep", version: "1.0.0", dependencies: { leftpad: "npm:evilpkg@1.0.0" } },
      { name: "oldhash", version: "1.0.0", sha1Only: true },
      { name: "pinned", version: "1.0.0", dependencies: { leftpad: "2.0.0" } },
      { name: "gated", version: "1.0.0" },
      { name: "usesgated", version: "1.0.0", dependencies: { gated: "^1.0.0" } },
      { name: "privileged", version: "1.0.0" },
      { name: "usesprivileged", version: "1.0.0", dependencies: { privileged: "^1.0.0" } },
    ],
  });
  // A URL dependency on the registry's own host (fetched, then refused by the lockfile check) and one on another
  // host name (never fetched: the dead proxy), each one level down from what was asked for.
  const local = registry.rawTarballUrl("leftpad", "1.0.0");
  const elsewhere = local.replace("127.0.0.1", "localhost");
  registry.publish({ name: "urldep", version: "1.0.0", dependencies: { leftpad: local } });
  registry.publish({ name: "farurldep", version: "1.0.0", dependencies: { leftpad: elsewhere } });
  registry.publish({ name: "farurl", version: "1.0.0", dependencies: { farurldep: "1.0.0" } });
});
afterAll(async () => {
  await registry?.close();
  await osv?.close();
  await rm(markers, { recursive: true, force: true });
});
afterEach(async () => {
  await h?.cleanup();
  // SECURITY: the fixtures' lifecycle scripts write here if npm ever runs one; every test must leave it empty.
  const ran = await list(markers);
  if (ran.length > 0) throw new Error(`lifecycle scripts ran: ${ran.join(", ")}`);
});

const component = (id: string) => join(h.config.npm.componentsRoot, id);
const readJson = async (path: string) => JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;

describe("npm component installs", () => {
  it("a whitelisted package with a dependency lands in its folder at the locked versions; no script runs", async () => {
    h = await open();
    const progress: string[] = [];
    const r = await h.service.install({ package: "@acme/widget", component: "dashboard" }, caller, (stage) =>
      progress.push(stage),
    );
    expect(r).toMatchObject({
      ecosystem: "npm",
      package: "@acme/widget",
      version: "2.0.0",
      purl: "pkg:npm/%40acme/widget@2.0.0",
      component: "dashboard",
      installPath: component("dashboard"),
      vulnerabilitiesFound: 0,
    });
    expect(r.dependencies).toEqual([
      { name: "@acme/widget", version: "2.0.0", path: "node_modules/@acme/widget" },
      { name: "leftpad", version: "1.1.0", path: "node_modules/leftpad" },
    ]);
    expect(r.scriptsNotRun.toSorted()).toEqual(["@acme/widget@2.0.0", "leftpad@1.1.0"]);
    expect(progress).toEqual(["checking", "resolving", "scanning", "installing"]);
    // The files on disk are the registry's, at the locked versions, with the lockfile beside them.
    expect(await readJson(join(component("dashboard"), "node_modules/leftpad/package.json"))).toMatchObject({
      version: "1.1.0",
    });
    const lock = await readJson(join(component("dashboard"), "package-lock.json"));
    expect((lock.packages as Record<string, unknown>)["node_modules/leftpad"]).toMatchObject({
      resolved: registry.tarballUrl("leftpad", "1.1.0"),
      integrity: registry.integrity("leftpad", "1.1.0"),
    });
    expect(await list(markers)).toEqual([]);
    expect(osv.queries.map((q) => `${q.package.ecosystem}:${q.package.name}@${q.version}`)).toEqual(
      expect.arrayContaining(["npm:@acme/widget@2.0.0", "npm:leftpad@1.1.0"]),
    );
    expect(await h.service.installed("dashboard")).toEqual([
      expect.objectContaining({ package: "@acme/widget", version: "2.0.0", direct: true }),
      expect.objectContaining({ package: "leftpad", version: "1.1.0", direct: false, installedAt: null }),
    ]);
    const [record] = await h.services.operator.installations({ limit: 1 });
    expect(record).toMatchObject({
      ecosystem: "npm",
      package: "@acme/widget",
      version: "2.0.0",
      status: "completed",
      agentId: "junior",
      details: expect.objectContaining({ component: "dashboard", purl: "pkg:npm/%40acme/widget@2.0.0" }),
    });
    // Nothing is left behind: no work folders, no replaced trees.
    expect(await list(join(h.config.npm.componentsRoot, ".work"))).toEqual([]);
    expect(await list(join(h.config.npm.componentsRoot, ".trash"))).toEqual([]);
  });

  it("a second package keeps the first at its locked version; uninstall removes what nothing needs", async () => {
    h = await open();
    await h.service.install({ package: "leftpad@1.0.0", component: "c1" }, caller);
    await h.service.install({ package: "@acme/widget", component: "c1" }, caller);
    expect((await h.service.installed("c1")).map((p) => `${p.package}@${p.version}`)).toEqual([
      "@acme/widget@2.0.0",
      "leftpad@1.0.0",
    ]);
    const gone = await h.service.uninstall({ package: "@acme/widget", component: "c1" }, caller);
    expect(gone).toEqual({ removed: ["@acme/widget"], component: "c1", package: "@acme/widget" });
    expect((await h.service.installed("c1")).map((p) => p.package)).toEqual(["leftpad"]);
    await h.service.uninstall({ package: "leftpad", component: "c1" }, caller);
    expect(await list(h.config.npm.componentsRoot)).not.toContain("c1");
    expect((await h.services.operator.installations({ limit: 1 }))[0]).toMatchObject({
      status: "uninstalled",
      package: "leftpad",
    });
    const notThere = await denial(h.service.uninstall({ package: "leftpad", component: "c1" }, caller));
    expect(notThere.code).toBe("NOT_FOUND");
  });

  it("the machine's npmrc and npm_config_* variables never reach npm", async () => {
    const home = await mkdtemp(join(tmpdir(), "pg-npm-home-"));
    const saved = { ...process.env };
    try {
      // This machine's own ~/.npmrc sets omit-lockfile-registry-resolved; a hostile one could do worse.
      await writeFile(
        join(home, ".npmrc"),
        "registry=http://127.0.0.1:9/\nignore-scripts=false\nomit-lockfile-registry-resolved=true\n",
      );
      process.env.HOME = home;
      process.env.npm_config_registry = "http://127.0.0.1:9/";
      process.env.npm_config_ignore_scripts = "false";
      process.env.NPM_CONFIG_USERCONFIG = join(home, ".npmrc");
      h = await open();
      const r = await h.service.install({ package: "leftpad@1.1.0", component: "isolated" }, caller);
      expect(r.version).toBe("1.1.0");
      const lock = await readJson(join(component("isolated"), "package-lock.json"));
      expect((lock.packages as Record<string, { resolved?: string }>)["node_modules/leftpad"]?.resolved).toBe(
        registry.tarballUrl("leftpad", "1.1.0"),
      );
    } finally {
      process.env = saved;
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe("vetting a skill's node installers", () => {
  it("each package gets policy, resolve, lockfile checks and scan; nothing is installed; each is audited", async () => {
    h = await open();
    const r = await h.service.vet({
      skill: "cli-tools",
      packages: ["@acme/widget@^2.0.0", "usesevil", "gitdep", "gated", "lodahs"],
      source: "hook",
      client: "before_install:upload",
    });
    expect(r.decision).toBe("block");
    expect(r.items.map((i) => [i.requirement, i.allowed, i.code ?? "ok", i.version ?? null])).toEqual([
      ["@acme/widget@^2.0.0", true, "ok", "2.0.0"],
      ["usesevil", false, "MALICIOUS", null],
      ["gitdep", false, "INVALID_REQUIREMENT", null],
      ["gated", true, "APPROVAL_REQUIRED", null],
      ["lodahs", false, "NOT_WHITELISTED", null],
    ]);
    expect(await list(h.config.npm.componentsRoot)).toEqual([".work"]);
    expect(await list(join(h.config.npm.componentsRoot, ".work"))).toEqual([]);
    const records = (await h.services.operator.installations({ ecosystem: "npm" })).toReversed();
    expect(records.map((x) => [x.status, x.package, x.skillId, x.source])).toEqual([
      ["vetted", "@acme/widget", "cli-tools", "hook"],
      ["blocked", "usesevil", "cli-tools", "hook"],
      ["blocked", "gitdep", "cli-tools", "hook"],
      ["approval_requested", "gated", "cli-tools", "hook"],
      ["blocked", "lodahs", "cli-tools", "hook"],
    ]);
    expect(records[0]!.details).toMatchObject({ vet: true, installer: "node", purl: "pkg:npm/%40acme/widget@2.0.0" });
  });
});

describe("npm component installs refused", () => {
  it("a vulnerable dependency blocks the install: VULNERABLE, nothing installed, audited", async () => {
    h = await open();
    const e = await denial(h.service.install({ package: "usesvuln", component: "c2" }, caller));
    expect(e.code).toBe("VULNERABLE");
    expect(e.message).toContain("GHSA-9999-vuln-0001 in vulnlib 1.0.0 (fixed in 1.0.1)");
    expect(await list(h.config.npm.componentsRoot)).not.toContain("c2");
    expect((await h.services.operator.installations({ limit: 1 }))[0]).toMatchObject({
      status: "blocked",
      code: "VULNERABLE",
      ecosystem: "npm",
      package: "usesvuln",
      vulnerabilities: ["GHSA-9999-vuln-0001"],
    });
  });

  it("an ignore rule lets a vulnerable dependency through, and the result names it", async () => {
    h = await open({
      scan: { ignore: [{ id: "CVE-2099-4242", reason: "not reachable from the component", expires: "2999-01-01" }] },
    });
    const r = await h.service.install({ package: "usesvuln", component: "c2" }, caller);
    expect(r.ignoredVulnerabilities).toEqual([
      expect.objectContaining({ id: "GHSA-9999-vuln-0001", package: "vulnlib", version: "1.0.0" }),
    ]);
  });

  it("an operator override for the component lets that vulnerable release through; a PyPI one does not", async () => {
    h = await open();
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const base = { package: "vulnlib", version: "1.0.0", reason: "input is trusted", expires };
    const op = { source: "rpc" as const, client: "op" };
    // The same name, release and advisory, but for PyPI: it must not apply to the npm tree.
    await h.services.operator.overridesAdd({ ...base, skill: "c2", advisories: ["GHSA-9999-vuln-0001"] }, op);
    expect((await denial(h.service.install({ package: "usesvuln", component: "c2" }, caller))).code).toBe("VULNERABLE");
    const o = await h.services.operator.overridesAdd(
      { ...base, skill: "c2", ecosystem: "npm", advisories: ["CVE-2099-4242"] },
      op,
    );
    expect(o).toMatchObject({ ecosystem: "npm", package: "vulnlib", skill: "c2" });
    expect((await denial(h.service.install({ package: "usesvuln", component: "other" }, caller))).code).toBe(
      "VULNERABLE",
    );
    const r = await h.service.install({ package: "usesvuln", component: "c2" }, caller);
    expect(r.vulnerabilitiesFound).toBe(1);
    expect(r.ignoredVulnerabilities).toEqual([
      expect.objectContaining({ id: "GHSA-9999-vuln-0001", reason: `override ${o.id}: input is trusted` }),
    ]);
  });

  it("a malicious dependency blocks the install as MALICIOUS, even with an ignore rule naming it", async () => {
    h = await open({ scan: { ignore: [{ id: "MAL-2099-7", reason: "trust me", expires: "2999-01-01" }] } });
    const e = await denial(h.service.install({ package: "usesevil", component: "c3" }, caller));
    expect(e.code).toBe("MALICIOUS");
    expect(e.message).toContain("MAL-2099-7 in evilpkg 1.0.0");
    expect(await list(h.config.npm.componentsRoot)).not.toContain("c3");
  });

  it("a tarball that differs from the packument's integrity is refused; the component keeps its tree", async () => {
    h = await open();
    await h.service.install({ package: "leftpad@1.0.0", component: "c4" }, caller);
    registry.tamper("@acme/widget", "2.0.0");
    try {
      const e = await denial(h.service.install({ package: "@acme/widget", component: "c4" }, caller));
      expect(e.code).toBe("INSTALL_FAILED");
      expect(e.details.reason).toBe("integrity");
      expect(e.message).toContain("do not match the sha512 integrity");
    } finally {
      registry.tamper("@acme/widget", "2.0.0", false);
    }
    expect((await h.service.installed("c4")).map((p) => `${p.package}@${p.version}`)).toEqual(["leftpad@1.0.0"]);
    expect(await list(join(component("c4"), "node_modules"))).not.toContain("@acme");
    expect((await h.services.operator.installations({ limit: 1 }))[0]).toMatchObject({
      status: "failed",
      code: "INSTALL_FAILED",
    });
  });

  it("a git dependency in the tree is refused, and npm never ran git", async () => {
    h = await open();
    const e = await denial(h.service.install({ package: "gitdep", component: "c5" }, caller));
    expect(e).toMatchObject({ code: "INVALID_REQUIREMENT", details: { reason: "vcs" } });
    expect(e.message).toContain("npm was not allowed to run git");
  });

  it("a URL dependency in the tree is refused: on the registry's host by the lockfile check", async () => {
    h = await open();
    const e = await denial(h.service.install({ package: "urldep", component: "c6" }, caller));
    expect(e).toMatchObject({ code: "INVALID_REQUIREMENT", details: { reason: "url", declaredBy: "urldep@1.0.0" } });
    expect(e.message).toContain("a tarball URL outside the registry");
  });

  it("a URL dependency on another host, two levels down, is never even fetched", async () => {
    h = await open();
    const before = registry.requests.length;
    const e = await denial(h.service.install({ package: "farurl", component: "c7" }, caller));
    expect(e).toMatchObject({ code: "INVALID_REQUIREMENT", details: { reason: "url" } });
    expect(e.message).toContain("depends on http://localhost:");
    expect(registry.requests.slice(before).some((p) => p.startsWith("/-/raw/"))).toBe(false);
  });

  it("an npm: alias in the tree is refused", async () => {
    h = await open();
    const e = await denial(h.service.install({ package: "aliasdep", component: "c8" }, caller));
    expect(e).toMatchObject({ code: "INVALID_REQUIREMENT", details: { reason: "npm-spec" } });
    expect(e.message).toContain("an npm: alias");
  });

  it("a package the registry publishes without a sha512 integrity is refused", async () => {
    h = await open();
    const e = await denial(h.service.install({ package: "oldhash", component: "c9" }, caller));
    expect(e).toMatchObject({ code: "INVALID_REQUIREMENT", details: { reason: "npm-integrity" } });
  });

  it("a whitelisted dependency resolved outside its approved range is refused", async () => {
    h = await open();
    const e = await denial(h.service.install({ package: "pinned", component: "c10" }, caller));
    expect(e.code).toBe("CONSTRAINT_VIOLATION");
    expect(e.message).toBe(
      "The resolved tree needs leftpad@2.0.0 (node_modules/leftpad), outside its approved range '^1.0.0'",
    );
  });

  it("policy comes first: unlisted names, tags, specs and bad component ids never reach npm", async () => {
    const spawned: string[] = [];
    h = await npmHarness(
      { whitelist: { includeDefault: false, tiers: TIERS }, npm: { registry: registry.url } },
      async (file, args) => {
        spawned.push([file, ...args].join(" "));
        throw new Error("no process may start");
      },
    );
    const cases: [Record<string, string>, string][] = [
      [{ package: "lodahs", component: "c" }, "NOT_WHITELISTED"],
      [{ package: "leftpad@latest", component: "c" }, "INVALID_REQUIREMENT"],
      [{ package: "leftpad@npm:evilpkg@1", component: "c" }, "INVALID_REQUIREMENT"],
      [{ package: "github:evil/leftpad", component: "c" }, "INVALID_REQUIREMENT"],
      [{ package: "leftpad", component: "../etc" }, "INVALID_REQUIREMENT"],
      [{ package: "leftpad@3.0.0", component: "c" }, "CONSTRAINT_VIOLATION"],
    ];
    for (const [request, code] of cases) {
      expect((await denial(h.service.install(request as never, caller))).code, JSON.stringify(request)).toBe(code);
    }
    expect(spawned).toEqual([]);
    expect(await h.services.operator.installations({ status: "blocked", ecosystem: "npm" })).toHaveLength(cases.length);
  });

  it("requires_approval: APPROVAL_REQUIRED until an operator approves, then it installs", async () => {
    h = await open();
    const first = await denial(h.service.install({ package: "gated", component: "c11" }, caller));
    expect(first.code).toBe("APPROVAL_REQUIRED");
    const id = first.details.approvalId as string;
    expect((await h.services.operator.approvalsList("pending"))[0]).toMatchObject({
      id,
      package: "npm:gated",
      skill: "c11",
    });
    await h.services.operator.approvalsResolve(id, "approve", {}, { source: "rpc", client: "op" });
    expect((await h.service.install({ package: "gated", component: "c11" }, caller)).version).toBe("1.0.0");
  });

  it("a dependency answers to its entry: a higher tier's package is refused, a gated one needs its grant", async () => {
    h = await open();
    const tier = await denial(h.service.install({ package: "usesprivileged", component: "c12" }, caller));
    expect(tier.code).toBe("NOT_WHITELISTED");
    expect(tier.message).toContain(
      "npm dependency 'privileged' (node_modules/privileged, pulled in by usesprivileged)",
    );
    expect(tier.message).toContain("is approved only from supervised up, not for student agents");
    expect(await list(h.config.npm.componentsRoot)).not.toContain("c12");
    const gated = await denial(h.service.install({ package: "usesgated", component: "c13" }, caller));
    expect(gated.code).toBe("APPROVAL_REQUIRED");
    expect(gated.details).toMatchObject({ package: "gated", dependencyOf: "usesgated", component: "c13" });
    await h.services.operator.approvalsResolve(
      gated.details.approvalId as string,
      "approve",
      {},
      {
        source: "rpc",
        client: "op",
      },
    );
    const r = await h.service.install({ package: "usesgated", component: "c13" }, caller);
    expect(r.dependencies.map((d) => `${d.name}@${d.version}`)).toContain("gated@1.0.0");
  });

  it("write-ahead: a durable 'started' record before the component changes; without one nothing changes", async () => {
    h = await open();
    await h.service.install({ package: "leftpad", component: "c14" }, caller);
    const statuses = (await h.services.operator.installations({ ecosystem: "npm" })).map((r) => r.status);
    expect(statuses.slice(0, 2)).toEqual(["completed", "started"]);
    await h.cleanup();
    // A log that cannot be written (a full disk): the install fails before npm runs, and no component appears.
    const full = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    h = await npmHarness(
      {
        agents: { junior: "student" },
        whitelist: { includeDefault: false, tiers: TIERS },
        npm: { registry: registry.url, lockTimeoutMs: 10_000 },
        scan: { osvApiUrl: osv.baseUrl },
      },
      undefined,
      {
        auditWrite: async () => {
          throw full;
        },
      },
    );
    const e = await denial(h.service.install({ package: "leftpad", component: "c15" }, caller));
    expect(e.code).toBe("AUDIT_UNAVAILABLE");
    expect(await list(h.config.npm.componentsRoot)).not.toContain("c15");
  });

  it("one component at a time: a change waits for the component's lock and gives up with BUSY", async () => {
    h = await open({ npm: { lockTimeoutMs: 0 } });
    let release!: () => void;
    let acquired!: () => void;
    const held = new Promise<void>((r) => (acquired = r));
    const holder = withComponentLock(componentPaths(h.config, "c12").lockTarget, "c12", 1_000, async () => {
      acquired();
      await new Promise<void>((r) => (release = r));
    });
    await held;
    const busy = await denial(h.service.install({ package: "leftpad", component: "c12" }, caller));
    expect(busy.code).toBe("BUSY");
    release();
    await holder;
    expect((await h.service.install({ package: "leftpad", component: "c12" }, caller)).version).toBe("1.1.0");
  });
});
