import type { Command } from "commander";
import type { PackageGuardConfig } from "../../config.js";
import { toPackageGuardError } from "../../errors.js";
import { EXIT, withCommon, type CliKit, type CommonOptions } from "./kit.js";

/** install-policy: OpenClaw's security.installPolicy command (protocol 1), when the host wires one in. */
export const mountInstallPolicy = (root: Command, { deps, loadConfig, out }: CliKit): void => {
  const installPolicy = deps.installPolicy;
  if (!installPolicy) return;
  withCommon(root.command("install-policy"))
    .description("security.installPolicy command: one request (protocol 1) on stdin, one decision on stdout")
    .action(async (...args: unknown[]) => {
      const opts = (args[args.length - 1] as Command).optsWithGlobals() as CommonOptions;
      let config: PackageGuardConfig;
      try {
        config = await loadConfig({ config: opts.config, stateDir: opts.stateDir });
      } catch (error) {
        // Fail closed with our reason, rather than leaving OpenClaw to block on "empty stdout".
        const reason = `package-guard cannot vet this install: ${toPackageGuardError(error).message}`;
        out.stdout(`${JSON.stringify({ protocolVersion: 1, decision: "block", reason })}\n`);
        process.exitCode = EXIT.ok;
        return;
      }
      process.exitCode = await installPolicy(config, opts);
    });
};
