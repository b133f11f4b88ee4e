import type { Command } from "commander";
import { toPackageGuardError } from "../../errors.js";
import { guardPaths, ShellGate } from "../../service/shell-gate.js";
import { printResult } from "../cli-output.js";
import { EXIT, withCommon, type CliKit, type CommonOptions } from "./kit.js";

/** shell-check: the shell gate's decision for one command, as an agent's exec would get it */
export const mountShell = (root: Command, { out, loadConfig }: CliKit): void => {
  withCommon(root.command("shell-check [command...]"))
    .description("The shell gate's decision for one command (exit 0 pass, 1 block or approve); put it after --")
    .option("--agent <id>", "the agent whose workspace relative paths resolve in")
    .option("--workdir <dir>", "the exec workdir the command would run in")
    .action(async (words: string[], _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as CommonOptions & { agent?: string; workdir?: string };
      try {
        const command = words.join(" ");
        // The decision needs only the config: nothing is opened, installed or recorded.
        const config = await loadConfig({ config: opts.config, stateDir: opts.stateDir });
        const gate = new ShellGate({ shell: config.shell, paths: guardPaths(config, config.stateDir) });
        const d = await gate.checkCommand(command, {
          agentId: opts.agent ?? null,
          ...(opts.workdir ? { workdir: opts.workdir } : {}),
        });
        const value = {
          decision: d.decision,
          ...(d.family ? { family: d.family, kind: d.kind } : {}),
          reason: d.reason,
          ...(d.suggestion ? { suggestion: d.suggestion } : {}),
          findings: d.findings.map((f) => ({ kind: f.kind, family: f.family, command: f.command, reason: f.reason })),
        };
        const human =
          d.decision === "pass" ? `PASS ${d.reason}` : `${d.decision.toUpperCase()} ${d.family}: ${d.reason}`;
        printResult(out, opts.json === true, value, human);
        process.exitCode = d.decision === "pass" ? EXIT.ok : EXIT.denied;
      } catch (error) {
        const e = toPackageGuardError(error);
        if (opts.json) out.stdout(`${JSON.stringify(e.toJSON())}\n`);
        else out.stderr(`${e.code}: ${e.message}\n`);
        process.exitCode = e.code === "CONFIG_INVALID" ? EXIT.usage : EXIT.denied;
      }
    });
};
