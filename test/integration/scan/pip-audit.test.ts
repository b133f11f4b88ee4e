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
      { name: "pyyaml", version: "5.3" },
      { name: "idna", version: "3.6" },
    ]);
    const pyyaml = out.get("pyyaml==5.3") ?? [];
    expect(pyyaml.map((f) => f.id).toSorted()).toEqual(["PYSEC-2020-96", "PYSEC-2021-142"]);
    expect(pyyaml.find((f) => f.id === "PYSEC-2021-142")).toMatchObject({
      aliases: expect.arrayContaining(["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"]),
      fixedVersions: ["5.4"],
      package: "pyyaml",
      version: "5.3",
    });
    // pip-audit picks the primary id itself (PYSEC, then CVE, then the rest): the GHSA record comes back under its CVE.
    expect(out.get("idna==3.6")).toEqual([
      expect.objectContaining({
        id: "CVE-2099-0001",
        aliases: ["GHSA-aaaa-bbbb-cccc"],
        fixedVersions: ["3.7"],
        summary: "demo advisory known only by GHSA and CVE ids",
      }),
    ]);
    // One POST per pin to the URL given, nothing else.
    expect(server.requests - before).toBe(2);
  });

  it("passes a clean set", async () => {
    const out = await new PipAuditScanner(options(), runProcess).scan([
      { name: "pyyaml", version: "6.0.1" },
      { name: "requests", version: "2.32.3" },
      { name: "idna", version: "3.7" },
    ]);
    expect([...out]).toEqual([
      ["pyyaml==6.0.1", []],
      ["requests==2.32.3", []],
      ["idna==3.7", []],
    ]);
  });

  it("fails closed when the OSV API answers 500", async () => {
    server.behave({ status: 500 });
    try {
      await expect(
        new PipAuditScanner(options(), runProcess).scan([{ name: "pyyaml", version: "6.0.1" }]),
      ).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
    } finally {
      server.behave({});
    }
  });

  it("fails closed when the OSV API is slower than the timeout", async () => {
    server.behave({ delayMs: 15_000 });
    try {
      await expect(
        new PipAuditScanner(options({ timeoutMs: 4_000 }), runProcess).scan([{ name: "pyyaml", version: "6.0.1" }]),
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
    await expect(scanner.scan([{ name: "pyyaml", version: "6.0.1" }])).rejects.toMatchObject({
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
    await new PipAuditScanner(options(), recording).scan([{ name: "idna", version: "3.7" }]);
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
      { name: "pyyaml", version: "5.3" },
      { name: "requests", version: "2.32.3" },
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
});
