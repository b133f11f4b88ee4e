import { execFile, spawn } from "node:child_process";
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayClient } from "../helpers/gateway-client.js";
import { openclawCliEnv, startGateway, type Gateway } from "../helpers/gateway.js";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../helpers/package-index.js";
import { REPO_ROOT } from "../helpers/repo-root.js";
import { uploadAndInstallSkill } from "../helpers/skill-upload.js";
import { toolConfig } from "../helpers/tool-paths.js";

/*
 * Issue 5 through a real gateway: skills are vetted before OpenClaw installs them, by the before_install hook
 * (uploads, dependency installers) and by `package-guard install-policy` (security.installPolicy, which also
 * covers the CLI's local `openclaw skills install`, where the hook never fires).
 */
const run = promisify(execFile);
const OPENCLAW = join(REPO_ROOT, "node_modules", "openclaw", "openclaw.mjs");

let gateway: Gateway;
let admin: GatewayClient;
let index: PackageIndex;

type Record_ = {
  source: string;
  status: string;
  package: string | null;
  code: string | null;
  details: Record<string, unknown> | null;
};

const skillMd = (name: string, frontmatter: string) =>
  `---\nname: ${name}\ndescription: ${name} (package-guard e2e)\n${frontmatter}\n---\n# ${name}\n\nUses Python.\n`;

// pyyaml 6.0.2 is clean; tinycalc comes through a uv installer entry (metadata.openclaw.install).
const GOOD_DEPS =
  `dependencies:\n  python:\n    - package: pyyaml\n      version: ">=6,<7"\nmetadata: { "openclaw": ` +
  `{ "install": [ { "id": "uv", "kind": "uv", "package": "tinycalc>=1,<2", "bins": ["tinycalc"] } ] } }`;
// requests is approved only from intern up; pyyaml 5.3 has PYSEC-2020-96.
const BAD_DEPS = `dependencies:\n  python:\n    - package: requests\n    - package: pyyaml\n      version: "==5.3"`;

const workspaceSkill = (slug: string) => join(gateway.stateDir, "workspace", "skills", slug);
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

const uploadAndInstall = (slug: string, files: Record<string, string>) => uploadAndInstallSkill(admin, slug, files);

const auditOf = async (skill: string): Promise<Record_[]> => {
  const r = await admin.call<Record_[]>("packages.installations", { skill, limit: 50 });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return [...r.payload].toReversed();
};

/** `openclaw skills install <dir>` in its own process, on the gateway's state, with `config` as its openclaw.json. */
const cliInstall = (dir: string, configPath: string): Promise<{ code: number | null; output: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [OPENCLAW, "skills", "install", dir], {
      cwd: dirname(gateway.stateDir),
      env: openclawCliEnv(gateway.stateDir, configPath),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });

beforeAll(async () => {
  index = await startPackageIndex({ packages: DEMO_PACKAGES });
  gateway = await startGateway({
    pluginConfig: {
      defaultMaturity: "student",
      whitelist: {
        tiers: {
          student: [
            { package: "pyyaml", version: ">=5.1,<7" },
            { package: "tinycalc", version: ">=1,<2" },
          ],
        },
      },
      hooks: { maturity: "student", preinstall: true },
      python: toolConfig(),
      index: { url: index.url },
      scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
    },
    extraConfig: { skills: { install: { allowUploadedArchives: true } } },
  });
  admin = await gateway.connect(["operator.admin", "operator.read", "operator.write", "operator.approvals"]);
});

afterAll(async () => {
  await gateway?.stop();
  await index?.close();
});

describe("before_install: skills uploaded to the gateway", () => {
  it("blocks a skill whose dependencies are not whitelisted or vulnerable, naming each and why", async () => {
    const r = await uploadAndInstall("bad-skill", { "SKILL.md": skillMd("bad-skill", BAD_DEPS) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("INVALID_REQUEST");
    expect(r.error.message).toContain("package-guard blocked skill 'bad-skill'");
    expect(r.error.message).toContain(
      "requests: [NOT_WHITELISTED] Package 'requests' is not approved for student agents; approved at: intern",
    );
    expect(r.error.message).toContain("pyyaml==5.3: [VULNERABLE]");
    expect(r.error.message).toContain("PYSEC-2020-96 in pyyaml 5.3");
    expect(await exists(workspaceSkill("bad-skill"))).toBe(false);
    const audit = await auditOf("bad-skill");
    expect(audit.map((a) => [a.source, a.status, a.package, a.code, a.details?.vet])).toEqual([
      ["hook", "blocked", "requests", "NOT_WHITELISTED", true],
      ["hook", "blocked", "pyyaml", "VULNERABLE", true],
    ]);
  });

  it("blocks an archive whose PEP 723 script needs a package that is not whitelisted, naming the script", async () => {
    // SKILL.md declares nothing: the dependency only appears in the script's inline metadata, which `uv run` reads.
    const r = await uploadAndInstall("script-skill", {
      "SKILL.md": skillMd("script-skill", "metadata: {}"),
      "scripts/fetch.py": '# /// script\n# dependencies = ["requests>=2"]\n# ///\nimport requests\n',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("INVALID_REQUEST");
    expect(r.error.message).toContain(
      "package-guard blocked skill 'script-skill': requests>=2 (scripts/fetch.py:2): [NOT_WHITELISTED]",
    );
    expect(await exists(workspaceSkill("script-skill"))).toBe(false);
    const audit = await auditOf("script-skill");
    expect(audit.map((a) => [a.source, a.status, a.package, a.code])).toEqual([
      ["hook", "blocked", "requests", "NOT_WHITELISTED"],
    ]);
  });

  it("installs an allowed skill, and pre-installs its dependencies into the skill's venv", async () => {
    const r = await uploadAndInstall("good-skill", {
      "SKILL.md": skillMd("good-skill", GOOD_DEPS),
      "scripts/main.py": "import yaml, tinycalc\n",
    });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(await exists(join(workspaceSkill("good-skill"), "SKILL.md"))).toBe(true);

    // The pre-install runs in the background after the hook answered: wait for it.
    const deadline = Date.now() + 120_000;
    let installed: { package: string; version: string }[] = [];
    while (Date.now() < deadline) {
      const q = await admin.call<{ package: string; version: string }[]>("packages.installed", { skill: "good-skill" });
      installed = q.ok ? q.payload : [];
      if (installed.some((p) => p.package === "pyyaml") && installed.some((p) => p.package === "tinycalc")) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(installed.map((p) => [p.package, p.version]).toSorted()).toEqual([
      ["pyyaml", "6.0.2"],
      ["tinycalc", "1.1.0"],
    ]);
    const python = join(gateway.stateDir, "package-guard", "venvs", "good-skill", "bin", "python");
    const { stdout } = await run(python, ["-c", "import yaml, tinycalc; print(yaml.__version__)"]);
    expect(stdout.trim()).toBe("6.0.2");

    const audit = await auditOf("good-skill");
    expect(audit.map((a) => [a.source, a.status, a.package])).toEqual([
      ["hook", "vetted", "pyyaml"],
      ["hook", "vetted", "tinycalc"],
      ["hook", "started", "pyyaml"],
      ["hook", "completed", "pyyaml"],
      ["hook", "started", "tinycalc"],
      ["hook", "completed", "tinycalc"],
    ]);
  });

  it("blocks a uv dependency installer (skills.install {name, installId}) for an unlisted package", async () => {
    // A skill already in the workspace (put there by hand, so nothing vetted it) that declares a uv installer.
    const dir = workspaceSkill("uv-tool");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "SKILL.md"),
      skillMd(
        "uv-tool",
        `metadata: { "openclaw": { "install": [ ` +
          `{ "id": "uv", "kind": "uv", "package": "cowsay", "bins": ["cowsay"] } ] } }`,
      ),
    );
    const r = await admin.call("skills.install", { name: "uv-tool", installId: "uv" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("UNAVAILABLE");
    expect(r.error.message).toContain("package-guard blocked skill 'uv-tool': cowsay: [NOT_WHITELISTED]");
    const audit = await auditOf("uv-tool");
    expect(audit.map((a) => [a.source, a.status, a.package, a.code])).toEqual([
      ["hook", "blocked", "cowsay", "NOT_WHITELISTED"],
    ]);
  });
});

describe("security.installPolicy: `openclaw skills install <dir>` from the CLI", () => {
  let cliConfig: string;
  let sources: string;

  beforeAll(async () => {
    // The CLI gets its own openclaw.json (the gateway's plus the policy), so the gateway tests above still see the hook
    // alone.
    const config = JSON.parse(await readFile(join(gateway.stateDir, "openclaw.json"), "utf8")) as Record<
      string,
      unknown
    >;
    config.security = {
      installPolicy: {
        enabled: true,
        targets: ["skill"],
        exec: {
          source: "exec",
          command: process.execPath,
          // OpenClaw checks every path-like argument of an interpreter command as a script file, so the state
          // dir cannot be an argument (--state-dir <dir> fails closed): it comes from OPENCLAW_STATE_DIR instead.
          args: [join(REPO_ROOT, "bin", "package-guard.mjs"), "install-policy"],
          timeoutMs: 60_000,
          noOutputTimeoutMs: 60_000,
          passEnv: ["PATH", "OPENCLAW_STATE_DIR"],
        },
      },
    };
    cliConfig = join(dirname(gateway.stateDir), "cli-openclaw.json");
    await writeFile(cliConfig, JSON.stringify(config, null, 2));
    sources = join(dirname(gateway.stateDir), "skill-sources");
    for (const [name, deps] of [
      ["cli-bad-skill", BAD_DEPS],
      ["cli-good-skill", GOOD_DEPS],
    ] as const) {
      await mkdir(join(sources, name), { recursive: true });
      await writeFile(join(sources, name, "SKILL.md"), skillMd(name, deps));
    }
  });

  it("blocks a skill with a denied dependency, with package-guard's reason", async () => {
    const r = await cliInstall(join(sources, "cli-bad-skill"), cliConfig);
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain("Install blocked by policy");
    expect(r.output).toContain("requests: [NOT_WHITELISTED]");
    expect(r.output).toContain("package-guard.vulnerable");
    expect(await exists(workspaceSkill("cli-bad-skill"))).toBe(false);
    const audit = await auditOf("cli-bad-skill");
    expect(audit.map((a) => [a.source, a.status, a.package])).toEqual([
      ["policy", "blocked", "requests"],
      ["policy", "blocked", "pyyaml"],
    ]);
  });

  it("allows a skill whose dependencies pass", async () => {
    const r = await cliInstall(join(sources, "cli-good-skill"), cliConfig);
    expect(r.code, r.output).toBe(0);
    expect(await exists(join(workspaceSkill("cli-good-skill"), "SKILL.md"))).toBe(true);
    const audit = await auditOf("cli-good-skill");
    expect(audit.map((a) => [a.source, a.status, a.package])).toEqual([
      ["policy", "vetted", "pyyaml"],
      ["policy", "vetted", "tinycalc"],
    ]);
  });
});
