/**
 * The demo (README's first command): a real OpenClaw gateway on 127.0.0.1 with package-guard loaded from the
 * built package, a throwaway state dir, a local package index and the offline PyPA advisory snapshot.
 * Everything goes through the gateway: the install_package tool and the packages.* RPC methods.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startGateway, type Gateway } from "../test/helpers/gateway.js";
import { DEMO_PACKAGES, startPackageIndex } from "../test/helpers/package-index.js";
import { REPO_ROOT } from "../test/helpers/repo-root.js";
import { toolConfig } from "../test/helpers/tool-paths.js";

const run = promisify(execFile);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (title: string) => console.log(`\n${bold(`== ${title}`)}`);

// The full snapshot when the workspace has it; otherwise the subset that ships with the repository.
const advisoryDir = [
  join(REPO_ROOT, "..", "shared", "data", "pypa-advisory-database"),
  join(REPO_ROOT, "test", "fixtures", "pypa-advisories"),
].find((d) => existsSync(join(d, "vulns")))!;

const tool = async (gateway: Gateway, agentId: string, args: Record<string, unknown>) => {
  const started = Date.now();
  const r = await gateway.invokeTool("install_package", args, { agentId });
  const ms = Date.now() - started;
  const label = `install_package ${JSON.stringify(args)} as agent '${agentId}'`;
  if (r.body.ok) {
    console.log(`ALLOWED  ${label}  (${ms} ms)`);
    console.log(indent(r.body.result?.content.map((c) => c.text).join("\n") ?? ""));
    return r.body.result?.details as { python: string; package: string; version: string };
  }
  console.log(`DENIED   ${label}  (${ms} ms)`);
  console.log(indent(r.body.error?.message ?? JSON.stringify(r.body)));
  return undefined;
};

const indent = (s: string) =>
  s
    .split("\n")
    .map((l) => `         ${l}`)
    .join("\n");

const main = async () => {
  const work = await mkdtemp(join(tmpdir(), "package-guard-demo-"));
  const index = await startPackageIndex({ packages: DEMO_PACKAGES });
  let gateway: Gateway | undefined;
  try {
    step("Starting a real OpenClaw gateway on 127.0.0.1 (30-60 s)");
    console.log(`local package index: ${index.url}`);
    console.log(`advisories: ${advisoryDir} (offline PyPA snapshot)`);
    const t0 = Date.now();
    gateway = await startGateway({
      workDir: work,
      agents: ["main", "junior", "analyst"],
      pluginConfig: {
        defaultMaturity: "student",
        agents: { junior: "student", analyst: "intern" },
        // Inline tiers add to the shipped default whitelist (pandas, numpy, requests, …).
        whitelist: {
          tiers: {
            student: [{ package: "pyyaml", version: ">=5.1,<7", category: "config", description: "YAML parser" }],
          },
        },
        python: toolConfig(),
        index: { url: index.url },
        scan: { scanner: "osv-db", osvDbDir: advisoryDir },
      },
    });
    console.log(`gateway up in ${((Date.now() - t0) / 1000).toFixed(1)} s, state dir ${gateway.stateDir}`);
    const operator = await gateway.connect(["operator.read"]);

    step("What may the student agent 'junior' install? (list_packages)");
    const list = await gateway.invokeTool("list_packages", {}, { agentId: "junior" });
    console.log(indent(list.body.result?.content[0]?.text ?? JSON.stringify(list.body)));

    step("An allowed install through the install_package tool");
    const installed = await tool(gateway, "junior", { package: "pandas>=2,<3", skill: "data-viz" });
    if (installed) {
      const { stdout } = await run(installed.python, [
        "-c",
        "import pandas, numpy; print(f'pandas {pandas.__version__}, numpy {numpy.__version__} from {pandas.__file__}')",
      ]);
      console.log(`imported from the skill's venv: ${stdout.trim()}`);
    }

    step("Denied: not whitelisted at the agent's maturity");
    await tool(gateway, "junior", { package: "requests", skill: "data-viz" });
    step("Denied: a hostile request (a direct URL)");
    await tool(gateway, "junior", {
      package: "pandas @ https://evil.example/pandas-6.6.6-py3-none-any.whl",
      skill: "data-viz",
    });
    step("Denied: option injection and a homoglyph");
    await tool(gateway, "junior", { package: "-i http://evil.example/simple pandas", skill: "data-viz" });
    await tool(gateway, "junior", { package: "ｐａｎｄａｓ", skill: "data-viz" });
    step("Denied: a known-vulnerable release (pyyaml 5.3, flagged by the PyPA advisory database)");
    await tool(gateway, "junior", { package: "pyyaml==5.3", skill: "config-tool" });
    step("Allowed: a fixed release of the same package");
    await tool(gateway, "junior", { package: "pyyaml>=6,<7", skill: "config-tool" });

    step("The audit log's last records (packages.installations)");
    const records = await operator.call<
      {
        ts: string;
        source: string;
        agentId: string | null;
        requested: string | null;
        status: string;
        code: string | null;
        package: string | null;
        version: string | null;
      }[]
    >("packages.installations", { limit: 10 });
    if (records.ok) {
      for (const r of records.payload.toReversed()) {
        console.log(
          `  ${r.ts}  ${r.source.padEnd(4)} ${String(r.agentId ?? "-").padEnd(8)} ${r.status.padEnd(10)} ` +
            `${(r.code ?? "").padEnd(20)} ${r.package ?? "-"}${r.version ? `==${r.version}` : ""}  <- ` +
            `${JSON.stringify(r.requested)}`,
        );
      }
    } else console.log(records.error);

    step("packages.audit.verify");
    const verify = await operator.call("packages.audit.verify");
    console.log(`  ${JSON.stringify(verify.ok ? verify.payload : verify.error)}`);
  } finally {
    step("Stopping the gateway");
    await gateway?.stop();
    await index.close();
    await rm(work, { recursive: true, force: true });
    console.log("done");
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
