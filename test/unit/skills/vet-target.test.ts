import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vetInstallTarget } from "../../../src/service/vet-target.js";
import { fakeVetter } from "./fake-vetter.js";

let root: string;
const skillDir = async (name: string, frontmatter: string): Promise<string> => {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "SKILL.md"), `---\n${frontmatter}\n---\nbody\n`);
  return dir;
};
const target = (sourcePath: string, extra: Record<string, unknown> = {}) => ({
  targetType: "skill",
  targetName: "slug-name",
  sourcePath,
  sourcePathKind: "directory",
  ...extra,
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pg-vet-target-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("vetting an install target", () => {
  it("ignores plugins and allows skills without Python dependencies, without asking the service", async () => {
    const vetter = fakeVetter();
    expect(await vetInstallTarget(vetter, { ...target("/x"), targetType: "plugin" }, { source: "hook" })).toMatchObject(
      { decision: "allow" },
    );
    const plain = await skillDir("plain", "name: plain\ndescription: no deps");
    expect(await vetInstallTarget(vetter, target(plain), { source: "hook" })).toMatchObject({
      decision: "allow",
      findings: [],
    });
    expect(vetter.vetSkill).not.toHaveBeenCalled();
  });

  it("vets the declared dependencies under the skill id derived from the frontmatter name, owned by it", async () => {
    const vetter = fakeVetter();
    const dir = await skillDir(
      "good",
      "name: Data Viz\ndependencies:\n  python:\n    - package: pyyaml\n      version: '>=6'",
    );
    const v = await vetInstallTarget(vetter, target(dir), { source: "policy", client: "install-policy" });
    expect(vetter.vetSkill).toHaveBeenCalledWith(
      { skill: "data-viz", requirements: ["pyyaml>=6"], source: "policy", client: "install-policy", owner: "Data Viz" },
      undefined,
    );
    expect(v).toEqual({
      decision: "allow",
      findings: [],
      skill: "data-viz",
      preinstall: ["pyyaml>=6"],
      owner: "Data Viz",
    });
  });

  it("a block names every failing dependency and why; findings carry the SKILL.md line", async () => {
    const vetter = fakeVetter({ deny: { requests: "NOT_WHITELISTED", pyyaml: "VULNERABLE" } });
    const dir = await skillDir(
      "bad",
      "name: bad\ndependencies:\n  python:\n    - package: requests\n    - package: pyyaml\n      version: '==5.3'\n " +
        "   - package: tinycalc",
    );
    const v = await vetInstallTarget(vetter, target(dir), { source: "hook" });
    expect(v.decision).toBe("block");
    expect(v.reason).toBe(
      "package-guard blocked skill 'bad': requests: [NOT_WHITELISTED] requests is denied; pyyaml==5.3: [VULNERABLE] " +
        "pyyaml is denied",
    );
    expect(v.findings).toEqual([
      {
        ruleId: "package-guard.not-whitelisted",
        severity: "critical",
        message: "requests: requests is denied",
        file: "SKILL.md",
        line: 5,
      },
      {
        ruleId: "package-guard.vulnerable",
        severity: "critical",
        message: "pyyaml==5.3: pyyaml is denied",
        file: "SKILL.md",
        line: 6,
      },
    ]);
    expect(v.preinstall).toEqual([]);
  });

  it("warns with the approval ids and pre-installs only what needs none", async () => {
    const vetter = fakeVetter({ approve: ["datakit"] });
    const dir = await skillDir(
      "warn",
      "name: warn\ndependencies:\n  python:\n    - package: datakit\n    - package: tinycalc",
    );
    const v = await vetInstallTarget(vetter, target(dir), { source: "hook" });
    expect(v.decision).toBe("warn");
    expect(v.reason).toContain("1 Python dependency needs operator approval");
    expect(v.reason).toContain("datakit (approval apr_datakit)");
    expect(v.findings.map((f) => [f.ruleId, f.severity])).toEqual([["package-guard.approval-required", "warn"]]);
    expect(v.preinstall).toEqual(["tinycalc"]);
  });

  it("malformed declarations block, and are handed to the service to be audited", async () => {
    const vetter = fakeVetter();
    const dir = await skillDir(
      "malformed",
      "name: malformed\ndependencies:\n  python:\n    - package: 'pandas>=2'\n    - package: numpy",
    );
    const v = await vetInstallTarget(vetter, target(dir), { source: "hook" });
    expect(v.decision).toBe("block");
    expect(v.reason).toContain("plain package name");
    expect(vetter.vetSkill.mock.calls[0]![0].problems).toEqual([
      { ruleId: "package-guard.dependency-malformed", message: expect.stringContaining("plain package name") },
    ]);
    const missing = await vetInstallTarget(vetter, target(join(root, "nowhere")), { source: "hook" });
    expect(missing).toMatchObject({ decision: "block", findings: [{ ruleId: "package-guard.skill-md-missing" }] });
  });

  it("a dependency installer run: only uv is vetted, and only its package; nothing is pre-installed", async () => {
    // OpenClaw names the target by the skill's name here, so the venv is the same one a whole-skill install used.
    const target = (sourcePath: string, extra: Record<string, unknown>) => ({
      targetType: "skill",
      targetName: "installer",
      sourcePath,
      sourcePathKind: "directory",
      ...extra,
    });
    const vetter = fakeVetter({ deny: { cowsay: "NOT_WHITELISTED" } });
    const dir = await skillDir("installer", "name: installer\ndependencies:\n  python:\n    - package: tinycalc");
    const brew = await vetInstallTarget(vetter, target(dir, { installSpec: { kind: "brew", formula: "jq" } }), {
      source: "hook",
    });
    expect(brew.decision).toBe("allow");
    expect(vetter.vetSkill).not.toHaveBeenCalled();
    const uv = await vetInstallTarget(vetter, target(dir, { installSpec: { kind: "uv", package: "cowsay" } }), {
      source: "hook",
    });
    expect(vetter.vetSkill.mock.calls[0]![0]).toMatchObject({ skill: "installer", requirements: ["cowsay"] });
    expect(uv).toMatchObject({
      decision: "block",
      reason: "package-guard blocked skill 'installer': cowsay: [NOT_WHITELISTED] cowsay is denied",
    });
    const ok = await vetInstallTarget(fakeVetter(), target(dir, { installSpec: { kind: "uv", package: "tinycalc" } }), {
      source: "hook",
    });
    expect(ok).toMatchObject({ decision: "allow", preinstall: [] });
    const empty = await vetInstallTarget(fakeVetter(), target(dir, { installSpec: { kind: "uv" } }), {
      source: "hook",
    });
    expect(empty.decision).toBe("block");
  });

  it("a name with no usable characters blocks", async () => {
    const dir = await skillDir("symbols", "name: '!!!'\ndependencies:\n  python:\n    - package: tinycalc");
    const v = await vetInstallTarget(fakeVetter(), { ...target(dir), targetName: "???" }, { source: "hook" });
    expect(v).toMatchObject({ decision: "block", findings: [{ ruleId: "package-guard.skill-name" }] });
  });

  it("keeps findings inside OpenClaw's display limits", async () => {
    const deny = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`pkg${i}`, "NOT_WHITELISTED"]));
    const list = Object.keys(deny)
      .map((n) => `    - package: ${n}`)
      .join("\n");
    const dir = await skillDir("many", `name: many\ndependencies:\n  python:\n${list}`);
    const v = await vetInstallTarget(fakeVetter({ deny }), target(dir), { source: "hook" });
    expect(v.reason!.length).toBeLessThanOrEqual(900);
    expect(JSON.stringify(v.findings).length).toBeLessThan(4_000);
    expect(v.findings.at(-1)!.ruleId).toBe("package-guard.more-findings");
  });

  it("vets every dependency file of the bundle; findings and the reason name the file and line", async () => {
    const vetter = fakeVetter({ deny: { evil: "NOT_WHITELISTED" } });
    const dir = await skillDir("files", "name: files");
    await mkdir(join(dir, "scripts"), { recursive: true });
    await writeFile(join(dir, "requirements.txt"), "tinycalc>=1,<2\n-r more.txt\n");
    await writeFile(join(dir, "scripts", "run.py"), '# /// script\n# dependencies = ["evil"]\n# ///\n');
    const v = await vetInstallTarget(vetter, target(dir), { source: "hook" });
    expect(vetter.vetSkill.mock.calls[0]![0]).toMatchObject({
      skill: "files",
      requirements: ["tinycalc>=1,<2", "evil"],
      problems: [{ ruleId: "package-guard.requirements-option" }],
    });
    expect(v.decision).toBe("block");
    expect(v.reason).toContain("'-r more.txt' is an installer option");
    expect(v.reason).toContain("(requirements.txt:2)");
    expect(v.reason).toContain("evil (scripts/run.py:2): [NOT_WHITELISTED] evil is denied");
    expect(v.findings.map((f) => [f.ruleId, f.file, f.line])).toEqual([
      ["package-guard.requirements-option", "requirements.txt", 2],
      ["package-guard.not-whitelisted", "scripts/run.py", 2],
    ]);
  });

  it("pre-installs requirements under a marker only when some file declares them without one", async () => {
    const dir = await skillDir("markers", "name: markers");
    await writeFile(join(dir, "requirements.txt"), 'tinycalc\ncolorama; sys_platform == "win32"\n');
    const v = await vetInstallTarget(fakeVetter(), target(dir), { source: "hook" });
    expect(v).toMatchObject({ decision: "allow", preinstall: ["tinycalc"] });
  });
});

describe("vetting node installers (metadata.openclaw.install[], kind node)", () => {
  const NODE = (packages: string[]) =>
    `metadata: { "openclaw": { "install": [${packages
      .map((p) => `{ "id": "n-${p.length}", "kind": "node", "package": "${p}", "bins": ["x"] }`)
      .join(", ")}, { "kind": "uv", "package": "tinycalc" }] } }`;

  it("a whole-skill install vets node installers through the npm pipeline and uv ones through Python", async () => {
    const vetter = fakeVetter();
    const dir = await skillDir("cli-tools", `name: cli-tools\n${NODE(["@acme/cli@^1.2.0", "prettier"])}`);
    const v = await vetInstallTarget(vetter, target(dir), { source: "hook", client: "before_install:upload" });
    expect(vetter.vetNpm).toHaveBeenCalledWith(
      {
        skill: "cli-tools",
        packages: ["@acme/cli@^1.2.0", "prettier"],
        source: "hook",
        client: "before_install:upload",
      },
      undefined,
    );
    expect(vetter.vetSkill.mock.calls[0]![0]).toMatchObject({ skill: "cli-tools", requirements: ["tinycalc"] });
    // npm packages go to OpenClaw's own global install: never pre-installed by us.
    expect(v).toEqual({ decision: "allow", findings: [], skill: "cli-tools", preinstall: ["tinycalc"] });
  });

  it("a denied node installer blocks the whole install, naming it, even when the Python side passes", async () => {
    const vetter = fakeVetter({ deny: { "@acme/cli": "MALICIOUS" } });
    const dir = await skillDir("bad-cli", `name: bad-cli\n${NODE(["@acme/cli@^1.2.0"])}`);
    const v = await vetInstallTarget(vetter, target(dir), { source: "policy" });
    expect(v).toMatchObject({
      decision: "block",
      reason: "package-guard blocked skill 'bad-cli': node installer @acme/cli@^1.2.0: [MALICIOUS] @acme/cli is denied",
      preinstall: [],
      findings: [{ ruleId: "package-guard.malicious", severity: "critical", file: "SKILL.md" }],
    });
  });

  it("a node installer needing approval is a warn with the approval id", async () => {
    const dir = await skillDir("gated-cli", `name: gated-cli\n${NODE(["gated"])}`);
    const v = await vetInstallTarget(fakeVetter({ approve: ["gated"] }), target(dir), { source: "hook" });
    expect(v).toMatchObject({ decision: "warn", findings: [{ severity: "warn" }] });
    expect(v.reason).toContain("gated (approval apr_gated)");
  });

  it("a node installer run vets only its package; one without a package blocks", async () => {
    const vetter = fakeVetter({ deny: { evil: "NOT_WHITELISTED" } });
    const dir = await skillDir("runner", "name: runner\ndependencies:\n  python:\n    - package: tinycalc");
    const run = await vetInstallTarget(vetter, target(dir, { installSpec: { kind: "node", package: "evil@1.0.0" } }), {
      source: "hook",
    });
    expect(vetter.vetSkill).not.toHaveBeenCalled();
    expect(vetter.vetNpm.mock.calls[0]![0]).toMatchObject({ packages: ["evil@1.0.0"] });
    expect(run).toMatchObject({ decision: "block", preinstall: [] });
    const empty = await vetInstallTarget(fakeVetter(), target(dir, { installSpec: { kind: "node" } }), {
      source: "hook",
    });
    expect(empty).toMatchObject({ decision: "block", findings: [{ ruleId: "package-guard.dependency-malformed" }] });
  });

  it("a node installer without a package string in SKILL.md blocks", async () => {
    const dir = await skillDir(
      "broken-node",
      'name: broken-node\nmetadata: { "openclaw": { "install": [{ "kind": "node", "package": 42 }] } }',
    );
    const v = await vetInstallTarget(fakeVetter(), target(dir), { source: "hook" });
    expect(v).toMatchObject({ decision: "block" });
    expect(v.reason).toContain("is a node installer without a 'package' string");
  });
});
