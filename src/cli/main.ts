import { Command, CommanderError } from "commander";
import { openServices } from "../runtime.js";
import { installGate } from "../service/services.js";
import { buildCommands, EXIT } from "../surfaces/cli/index.js";
import { runInstallPolicy } from "../surfaces/install-policy.js";
import { forTerminal } from "../util/terminal.js";

/** The package-guard bin: the same command tree as `openclaw packages`, for scripts, CI and installPolicy. */
export const main = async (argv: string[] = process.argv): Promise<void> => {
  const program = new Command("package-guard")
    .description("Whitelisted, vulnerability-scanned Python packages for OpenClaw agent skills")
    .exitOverride()
    // Usage errors quote what was typed: control characters in it must not reach the terminal either.
    .configureOutput({
      writeOut: (text) => process.stdout.write(forTerminal(text)),
      writeErr: (text) => process.stderr.write(forTerminal(text)),
      outputError: (text, write) => write(text),
    });
  buildCommands(program, {
    openService: (c) => openServices(c),
    installPolicy: async (config) => {
      try {
        return await runInstallPolicy({
          stdin: process.stdin,
          stdout: (text) => process.stdout.write(text),
          openService: async () => installGate(await openServices(config)),
        });
      } finally {
        // A request that was refused part-way leaves stdin open; it must not keep the process alive.
        process.stdin.destroy();
      }
    },
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    throw error;
  }
};
