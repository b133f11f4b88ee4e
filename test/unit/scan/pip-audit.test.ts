import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PipAuditScanner, pipAuditArgs, type PipAuditOptions } from "../../../src/scan/pip-audit.js";
import type { RunOptions, RunResult, Runner } from "../../../src/util/exec.js";

const OPTIONS: PipAuditOptions = {
  pipAudit: "/opt/pip-audit",
  service: "osv",
  osvUrl: null,
  cacheDir: "/state/cache",
  timeoutMs: 5_000,
};

const result = (over: Partial<RunResult>): RunResult => ({
  command: "/opt/pip-audit -r x",
  exitCode: 0,
  stdout: "",
  stderr: "",
  timedOut: false,
  canceled: false,
  signal: undefined,
  spawnError: undefined,
  ...over,
});

type Call = { file: string; args: readonly string[]; options: RunOptions; requirements: string };

/** A Runner that records each call (with the requirements file as it was at run time) and answers `reply`. */
const fakeRunner = (reply: Partial<RunResult>): { runner: Runner; calls: Call[] } => {
  const calls: Call[] = [];
  const runner: Runner = async (file, args, options) => {
    const path = args[args.indexOf("-r") + 1] ?? "";
    calls.push({ file, args, options, requirements: readFileSync(path, "utf8") });
    return result(reply);
  };
  return { runner, calls };
};

const report = (dependencies: unknown[]): string => JSON.stringify({ dependencies, fixes: [] });

const PINS = [
  { ecosystem: "PyPI" as const, name: "pyyaml", version: "5.3" },
  { ecosystem: "PyPI" as const, name: "requests", version: "2.32.3" },
];

describe("pip-audit invocation", () => {
  it("passes exactly the pins, the documented flags, a scrubbed env and the timeout", async () => {
    const { runner, calls } = fakeRunner({
      stdout: report([
        { name: "pyyaml", version: "5.3", vulns: [] },
        { name: "requests", version: "2.32.3", vulns: [] },
      ]),
    });
    await new PipAuditScanner({ ...OPTIONS, osvUrl: "http://127.0.0.1:9/v1/query" }, runner).scan(PINS);
    const [call] = calls;
    expect(call?.file).toBe("/opt/pip-audit");
    expect(call?.requirements).toBe("pyyaml==5.3\nrequests==2.32.3\n");
    expect(call?.args.slice(2)).toEqual([
      "--no-deps",
      "--disable-pip",
      "-f",
      "json",
      "--progress-spinner",
      "off",
      "-s",
      "osv",
      "--osv-url",
      "http://127.0.0.1:9/v1/query",
      "--cache-dir",
      "/state/cache/pip-audit",
    ]);
    expect(call?.options.timeoutMs).toBe(5_000);
    expect(call?.options.env?.PIP_CONFIG_FILE).toBe("/dev/null");
    expect(Object.keys(call?.options.env ?? {}).filter((k) => k.startsWith("PIP_") && k !== "PIP_CONFIG_FILE")).toEqual(
      [],
    );
    // The temporary requirements file does not outlive the scan.
    expect(existsSync(call?.args[1] ?? "")).toBe(false);
  });

  it("leaves --osv-url out for the PyPI service and when no URL is set", () => {
    expect(pipAuditArgs("r.txt", { ...OPTIONS, service: "pypi", osvUrl: "http://x/v1/query" })).not.toContain(
      "--osv-url",
    );
    expect(pipAuditArgs("r.txt", OPTIONS)).not.toContain("--osv-url");
  });

  it("names its source in the scanner id, so caches of different sources never mix", () => {
    const { runner } = fakeRunner({});
    expect(new PipAuditScanner({ ...OPTIONS, service: "pypi" }, runner).id).toBe("pip-audit:pypi");
    expect(new PipAuditScanner(OPTIONS, runner).id).toBe("pip-audit:osv");
    expect(new PipAuditScanner({ ...OPTIONS, osvUrl: "http://h/v1/query" }, runner).id).toBe(
      "pip-audit:osv(http://h/v1/query)",
    );
  });

  it("never runs pip-audit for malformed pins, and not at all for an empty set", async () => {
    const { runner, calls } = fakeRunner({});
    const scanner = new PipAuditScanner(OPTIONS, runner);
    for (const pin of [
      { ecosystem: "PyPI" as const, name: "pyyaml", version: "5.3 --index-url http://evil" },
      { ecosystem: "PyPI" as const, name: "PyYAML", version: "5.3" },
      { ecosystem: "PyPI" as const, name: "x\ny", version: "1" },
      { ecosystem: "PyPI" as const, name: "pyyaml", version: "5.3\n--pre" },
    ]) {
      await expect(scanner.scan([pin])).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
    }
    expect((await scanner.scan([])).size).toBe(0);
    expect(calls).toEqual([]);
  });
});

describe("pip-audit results", () => {
  it("exit 0: every pin clean", async () => {
    const { runner } = fakeRunner({
      stdout: report([
        { name: "pyyaml", version: "5.3", vulns: [] },
        { name: "requests", version: "2.32.3", vulns: [] },
      ]),
    });
    const out = await new PipAuditScanner(OPTIONS, runner).scan(PINS);
    expect([...out]).toEqual([
      ["PyPI:pyyaml@5.3", []],
      ["PyPI:requests@2.32.3", []],
    ]);
  });

  it("exit 1 with a report: findings with id, aliases, fix versions and summary", async () => {
    const stdout = report([
      {
        name: "pyyaml",
        version: "5.3",
        vulns: [
          {
            id: "PYSEC-2021-142",
            fix_versions: ["5.4"],
            aliases: ["GHSA-8q59-q68h-6hv4", "CVE-2020-14343"],
            ecosystem: "PyPI",
            description: "bad yaml",
          },
        ],
      },
      { name: "requests", version: "2.32.3", vulns: [] },
    ]);
    const out = await new PipAuditScanner(OPTIONS, fakeRunner({ exitCode: 1, stdout }).runner).scan(PINS);
    expect(out.get("PyPI:pyyaml@5.3")).toEqual([
      {
        id: "PYSEC-2021-142",
        aliases: ["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"],
        ecosystem: "PyPI",
        package: "pyyaml",
        version: "5.3",
        fixedVersions: ["5.4"],
        summary: "bad yaml",
      },
    ]);
    expect(out.get("PyPI:requests@2.32.3")).toEqual([]);
  });

  it("maps pip-audit's normalized version back onto the pin as given", async () => {
    const stdout = report([{ name: "demo", version: "1.0rc1", vulns: [] }]);
    const out = await new PipAuditScanner(OPTIONS, fakeRunner({ stdout }).runner).scan([
      { ecosystem: "PyPI" as const, name: "demo", version: "1.0-RC1" },
    ]);
    expect(out.get("PyPI:demo@1.0-RC1")).toEqual([]);
  });

  const failures: [string, Partial<RunResult>, RegExp][] = [
    ["a missing executable", { exitCode: undefined, spawnError: "ENOENT" }, /could not be started.*ENOENT/],
    ["a timeout", { exitCode: undefined, timedOut: true, signal: "SIGTERM" }, /did not finish within 5000 ms/],
    ["cancellation", { exitCode: undefined, canceled: true }, /canceled/],
    [
      "exit 2 (usage error)",
      { exitCode: 2, stderr: "pip-audit: error: unrecognized arguments" },
      /exit 2.*unrecognized/,
    ],
    [
      "a traceback (exit 1, no report)",
      { exitCode: 1, stderr: "Traceback …\nrequests.exceptions.ConnectionError: refused" },
      /without a report.*ConnectionError/,
    ],
    ["garbage on stdout", { stdout: "Found 1 known vulnerability" }, /did not print a JSON report/],
    ["empty stdout with exit 0", { stdout: "" }, /no output/],
    ["JSON of another shape", { stdout: "[]" }, /expected `dependencies`/],
    [
      "a pin missing from the report",
      { stdout: report([{ name: "pyyaml", version: "5.3", vulns: [] }]) },
      /does not mention requests==2.32.3/,
    ],
    [
      "a pin reported at another version",
      {
        stdout: report([
          { name: "pyyaml", version: "5.3.1", vulns: [] },
          { name: "requests", version: "2.32.3", vulns: [] },
        ]),
      },
      /does not mention pyyaml==5.3/,
    ],
    [
      "a skipped pin",
      {
        stdout: report([
          { name: "pyyaml", skip_reason: "could not be audited" },
          { name: "requests", version: "2.32.3", vulns: [] },
        ]),
      },
      /skipped pyyaml==5.3: could not be audited/,
    ],
    [
      "a vuln without an id",
      {
        exitCode: 1,
        stdout: report([
          { name: "pyyaml", version: "5.3", vulns: [{ fix_versions: [] }] },
          { name: "requests", version: "2.32.3", vulns: [] },
        ]),
      },
      /unexpected shape/,
    ],
  ];
  it.each(failures)("%s is SCANNER_UNAVAILABLE", async (_label, reply, message) => {
    const scan = new PipAuditScanner(OPTIONS, fakeRunner(reply).runner).scan(PINS);
    await expect(scan).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE", message: expect.stringMatching(message) });
  });
});

it("keeps a mirror's credentials out of the scanner id", () => {
  const scanner = new PipAuditScanner(
    { ...OPTIONS, osvUrl: "https://user:secret@osv.example/v1/query" },
    fakeRunner({}).runner,
  );
  expect(scanner.id).toBe("pip-audit:osv(https://osv.example/v1/query)");
});

describe("pip-audit health probe", () => {
  const vuln = { id: "PYSEC-2018-28", fix_versions: ["2.20.0"], aliases: ["CVE-2018-18074"] };

  it("asks about one known-vulnerable pin and reports the service and the pip-audit version", async () => {
    const { runner, calls } = fakeRunner({
      exitCode: 1,
      stdout: report([{ name: "requests", version: "2.19.0", vulns: [vuln] }]),
    });
    const health = await new PipAuditScanner({ ...OPTIONS, version: "2.10.1" }, runner).probe();
    expect(calls.map((c) => c.requirements)).toEqual(["requests==2.19.0\n"]);
    expect(health).toEqual({
      ok: true,
      backend: "pip-audit",
      advisories: 1,
      source: "OSV service (https://api.osv.dev/v1/query)",
      version: "pip-audit 2.10.1",
    });
  });

  it("is not ok when the service calls that pin clean: an empty mirror would pass every scan", async () => {
    const { runner } = fakeRunner({ stdout: report([{ name: "requests", version: "2.19.0", vulns: [] }]) });
    const health = await new PipAuditScanner(OPTIONS, runner).probe();
    expect(health).toMatchObject({ ok: false, advisories: 0, problem: expect.stringContaining("requests==2.19.0") });
    expect(health.fix).toContain("scan.osvUrl");
  });

  it("is not ok, with what to fix, when pip-audit cannot run", async () => {
    const { runner } = fakeRunner({ exitCode: undefined, spawnError: "ENOENT" });
    expect(await new PipAuditScanner(OPTIONS, runner).probe()).toMatchObject({
      ok: false,
      problem: expect.stringContaining("could not be started"),
      fix: expect.stringContaining("python.pipAudit"),
    });
  });
});

describe("pip-audit as an advisory source", () => {
  it("names the pip-audit version in its source version, so an upgrade does not reuse cached results", async () => {
    const runner = fakeRunner({}).runner;
    const a = await new PipAuditScanner({ ...OPTIONS, version: "2.10.1" }, runner).source();
    const b = await new PipAuditScanner({ ...OPTIONS, version: "2.11.0" }, runner).source();
    expect(a.id).toBe(b.id);
    expect(a.version).not.toBe(b.version);
  });

  it("refuses pins of other ecosystems instead of calling them clean", async () => {
    const { runner, calls } = fakeRunner({});
    await expect(
      new PipAuditScanner(OPTIONS, runner).scan([{ ecosystem: "npm", name: "left-pad", version: "1.3.0" }]),
    ).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
    expect(calls).toHaveLength(0);
  });
});
