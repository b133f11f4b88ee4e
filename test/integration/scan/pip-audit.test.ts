import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse } from "yaml";
import { ScanCache } from "../../../src/scan/cache.js";
import { PipAuditScanner, type PipAuditOptions } from "../../../src/scan/pip-audit.js";
import { VulnerabilityScanService } from "../../../src/scan/scan-service.js";
import { runProcess, type RunOptions, type Runner } from "../../../src/util/exec.js";
import { startOsvServer, type OsvRecord, type OsvServer } from "../../helpers/osv-server.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { describeIf } from "../../helpers/skip.js";
import { TOOLS } from "../../helpers/tool-paths.js";

// Real advisories, served as JSON the way api.osv.dev serves them.
const loadAdvisories = async (pkg: string): Promise<OsvRecord[]> => {
  const dir = join(REPO_ROOT, "test", "fixtures", "pypa-advisories", "vulns", pkg);
  return Promise.all((await readdir(dir)).map(async (f) => parse(await readFile(join(dir, f), "utf8")) as OsvRecord));
};

// An OpenSSF malicious-packages record as OSV serves it.
const MALWARE: OsvRecord = {
  id: "MAL-2099-4242",
  summary: "Malicious code in evilpkg (PyPI)",
  aliases: ["GHSA-evil-evil-evil"],
  affected: [{ package: { name: "evilpkg", ecosystem: "PyPI" }, versions: ["1.0.0"] }],
};

const GHSA_ONLY: OsvRecord = {
  id: "GHSA-aaaa-bbbb-cccc",
  summary: "demo advisory known only by GHSA and CVE ids",
  aliases: ["CVE-2099-0001"],
  affected: [
    {
      package: { name: "idna", ecosystem: "PyPI" },
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "3.7" }] }],
    },
  ],
};

const describeWithPipAudit = describeIf(
  existsSync(TOOLS.pipAudit),
  `the pip-audit tests: ${TOOLS.pipAudit} is missing (scripts/provision.sh installs it)`,
);

describeWithPipAudit("pip-audit against a loopback OSV API", () => {
  let server: OsvServer;
  let work: string;
  const options = (over: Partial<PipAuditOptions> = {}): PipAuditOptions => ({
    pipAudit: TOOLS.pipAudit,
    service: "osv",
    osvUrl: server.url,
    cacheDir: join(work, "cache"),
    timeoutMs: 60_000,
    ...over,
  });

  beforeAll(async () => {
    server = await startOsvServer([
      ...(await loadAdvisories("pyyaml")),
      ...(await loadAdvisories("requests")),
      GHSA_ONLY,
      MALWARE,
    ]);
    work = await mkdtemp(join(tmpdir(), "pip-audit-it-"));
  });
  afterAll(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  it("finds a vulnerable pin with its id, aliases and fix versions", async () => {
    const before = server.requests;
    const out = await new PipAuditScanner(options(), runProcess).scan([
      { ecosystem: "PyPI" as const, name: "pyyaml", version: "5.3" },
      { ecosystem: "PyPI" as const, name: "idna", version: "3.6" },
    ]);
    const pyyaml = out.get("PyPI:pyyaml@5.3") ?? [];
    expect(pyyaml.map((f) => f.id).toSorted()).toEqual(["PYSEC-2020-96", "PYSEC-2021-142"]);
    expect(pyyaml.find((f) => f.id === "PYSEC-2021-142")).toMatchObject({
      aliases: expect.arrayContaining(["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"]),
      ecosystem: "PyPI" as const,
      fixedVersions: ["5.4"],
      package: "pyyaml",
      version: "5.3",
    });
    // pip-audit picks the primary id itself (PYSEC, then CVE, then the rest): the GHSA record comes back under its CVE.
    expect(out.get("PyPI:idna@3.6")).toEqual([
      expect.objectContaining({
        id: "CVE-2099-0001",
        aliases: ["GHSA-aaaa-bbbb-cccc"],
        ecosystem: "PyPI" as const,
        fixedVersions: ["3.7"],
        summary: "demo advisory known only by GHSA and CVE ids",
      }),
    ]);
    // One POST per pin to the URL given, nothing else.
    expect(server.requests - before).toBe(2);
  });

  it("passes a clean set", async () => {
    const out = await new PipAuditScanner(options(), runProcess).scan([
      { ecosystem: "PyPI" as const, name: "pyyaml", version: "6.0.1" },
      { ecosystem: "PyPI" as const, name: "requests", version: "2.32.3" },
      { ecosystem: "PyPI" as const, name: "idna", version: "3.7" },
    ]);
    expect([...out]).toEqual([
      ["PyPI:pyyaml@6.0.1", []],
      ["PyPI:requests@2.32.3", []],
      ["PyPI:idna@3.7", []],
    ]);
  });

  it("fails closed when the OSV API answers 500", async () => {
    server.behave({ status: 500 });
    try {
      await expect(
        new PipAuditScanner(options(), runProcess).scan([
          { ecosystem: "PyPI" as const, name: "pyyaml", version: "6.0.1" },
        ]),
      ).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
    } finally {
      server.behave({});
    }
  });

  it("fails closed when the OSV API is slower than the timeout", async () => {
    server.behave({ delayMs: 15_000 });
    try {
      await expect(
        new PipAuditScanner(options({ timeoutMs: 4_000 }), runProcess).scan([
          { ecosystem: "PyPI" as const, name: "pyyaml", version: "6.0.1" },
        ]),
      ).rejects.toMatchObject({
        code: "SCANNER_UNAVAILABLE",
        message: expect.stringContaining("did not finish within 4000 ms"),
      });
    } finally {
      server.behave({});
    }
  });

  it("fails closed when pip-audit does not exist", async () => {
    const scanner = new PipAuditScanner(options({ pipAudit: join(work, "no", "pip-audit") }), runProcess);
    await expect(
      scanner.scan([{ ecosystem: "PyPI" as const, name: "pyyaml", version: "6.0.1" }]),
    ).rejects.toMatchObject({
      code: "SCANNER_UNAVAILABLE",
      message: expect.stringContaining("ENOENT"),
    });
  });

  it("runs with an environment in which pip sees none of the machine's pip configuration", async () => {
    let seen: RunOptions | undefined;
    const recording: Runner = (file, args, o) => {
      seen = o;
      return runProcess(file, args, o);
    };
    await new PipAuditScanner(options(), recording).scan([
      { ecosystem: "PyPI" as const, name: "idna", version: "3.7" },
    ]);
    expect(Object.keys(seen?.env ?? {}).filter((k) => /^(PIP_|UV_|PYTHONPATH|PIP_AUDIT)/.test(k))).toEqual([
      "PIP_CONFIG_FILE",
    ]);
    // The interpreter pip-audit runs on, asked for its effective pip configuration under that same environment.
    const python = join(dirname(TOOLS.pipAudit), "python");
    const config = await runProcess(python, ["-m", "pip", "config", "list"], { timeoutMs: 30_000, env: seen!.env! });
    expect(config.exitCode).toBe(0);
    expect(
      config.stdout
        .trim()
        .split("\n")
        .filter((l) => l && !l.startsWith(":env:.config-file=")),
    ).toEqual([]);
  });

  it("through the scan service: a second scan comes from the cache and never reaches the API", async () => {
    const cache = await ScanCache.open({ file: join(work, "scan-cache.json"), ttlHours: 24 });
    const service = new VulnerabilityScanService({
      scanner: new PipAuditScanner(options(), runProcess),
      cache,
      ignore: [],
    });
    const pins = [
      { ecosystem: "PyPI" as const, name: "pyyaml", version: "5.3" },
      { ecosystem: "PyPI" as const, name: "requests", version: "2.32.3" },
    ];
    const first = await service.scan(pins);
    expect(first).toMatchObject({ fromCache: 0, scanned: 2 });
    const requests = server.requests;
    const reopened = new VulnerabilityScanService({
      scanner: new PipAuditScanner(options(), runProcess),
      cache: await ScanCache.open({ file: join(work, "scan-cache.json"), ttlHours: 24 }),
      ignore: [{ id: "CVE-2020-1747", reason: "FullLoader not used", expires: "2999-12-31" }],
    });
    const second = await reopened.scan(pins);
    expect(second).toMatchObject({ fromCache: 2, scanned: 0 });
    expect(second.findings.map((f) => f.id)).toEqual(["PYSEC-2021-142"]);
    expect(second.ignored.map((i) => i.finding.id)).toEqual(["PYSEC-2020-96"]);
    expect(server.requests).toBe(requests);
  });

  it("a MAL- record pip-audit reports is malware: apart from other findings, and no ignore rule applies", async () => {
    const service = new VulnerabilityScanService({
      scanner: new PipAuditScanner(options(), runProcess),
      cache: await ScanCache.open({ file: join(work, "mal-cache.json"), ttlHours: 0 }),
      ignore: [{ id: "MAL-2099-4242", reason: "trust me", expires: "2999-12-31" }],
    });
    const out = await service.scan([{ ecosystem: "PyPI", name: "evilpkg", version: "1.0.0" }]);
    expect(out.ignored).toEqual([]);
    expect(out.malware).toHaveLength(1);
    // pip-audit may report it under another id; the MAL- id stays among its ids.
    expect([out.malware[0]!.id, ...out.malware[0]!.aliases]).toContain("MAL-2099-4242");
  });

  it("answers doctor's probe through the configured service, with the pip-audit version", async () => {
    const health = await new PipAuditScanner(options({ version: "2.10.1" }), runProcess).probe();
    expect(health).toMatchObject({
      ok: true,
      backend: "pip-audit",
      version: "pip-audit 2.10.1",
      source: `OSV service (${server.url})`,
    });
    expect(health.advisories).toBeGreaterThan(0);
    server.behave({ status: 500 });
    try {
      expect(await new PipAuditScanner(options(), runProcess).probe()).toMatchObject({ ok: false });
    } finally {
      server.behave({});
    }
  });
});
