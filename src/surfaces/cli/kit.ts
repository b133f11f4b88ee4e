import type { Command } from "commander";
import { ECOSYSTEMS, MATURITY_LEVELS, type Ecosystem, type Maturity, type PackageGuardConfig } from "../../config.js";
import { PackageGuardError, toPackageGuardError, type ErrorCode } from "../../errors.js";
import type { Services } from "../../service/services.js";
import { forTerminal } from "../../util/terminal.js";
import { loadCliConfig, loadHostAgents, type CliPaths } from "../cli-context.js";
import { printResult, type Output } from "../cli-output.js";

export type CliDeps = {
  /** Builds the services for the chosen config/state dir (the host passes its own config when --config is absent). */
  openService: (config: PackageGuardConfig) => Promise<Services>;
  loadConfig?: (paths: CliPaths) => Promise<PackageGuardConfig>;
  /** The gateway's agent ids from the host config (doctor compares the plugin's `agents` with them). */
  hostAgents?: (paths: CliPaths) => Promise<readonly string[] | null>;
  output?: Output;
  installPolicy?: (config: PackageGuardConfig, opts: CommonOptions) => Promise<number>;
};

export type CommonOptions = { config?: string; stateDir?: string; json?: boolean };

/** What one command's action returns: the value (--json prints it), optional human text, the exit status. */
export type CommandResult = { value: unknown; exit?: number; human?: string };
export type CommandAction = (service: Services, opts: CommonOptions, ...args: string[]) => Promise<CommandResult>;

/** What each command group needs to mount its commands. */
export type CliKit = {
  /** Wraps an action: loads the config, opens the services, prints the result, sets the exit status. */
  run: (action: CommandAction) => (...args: unknown[]) => Promise<void>;
  out: Output;
  loadConfig: (paths: CliPaths) => Promise<PackageGuardConfig>;
  hostAgents: (paths: CliPaths) => Promise<readonly string[] | null>;
  deps: CliDeps;
};

export const EXIT = { ok: 0, denied: 1, usage: 2 } as const;

/** The README's exit status for a refusal: 2 for a configuration or usage error, 1 for any other denial. */
export const exitFor = (code: ErrorCode | undefined): number => (code === "CONFIG_INVALID" ? EXIT.usage : EXIT.denied);

export const withCommon = (cmd: Command): Command =>
  cmd
    .option("--config <path>", "openclaw.json to read the package-guard block from (default: the host's)")
    .option("--state-dir <dir>", "OpenClaw state directory (default: $OPENCLAW_STATE_DIR or ~/.openclaw)")
    .option("--json", "print one JSON object");

/** One of a fixed set of values for an option, or a usage error naming them. */
export const choice = <T extends string>(flag: string, value: string, allowed: readonly T[]): T => {
  if (!(allowed as readonly string[]).includes(value))
    throw new PackageGuardError("CONFIG_INVALID", `${flag} must be one of: ${allowed.join(", ")}`);
  return value as T;
};

export const parseMaturity = (value: string): Maturity => choice("--maturity", value, MATURITY_LEVELS);

export const parseEcosystem = (value: string | undefined): Ecosystem =>
  value === undefined ? "PyPI" : choice("--ecosystem", value, ECOSYSTEMS);

/** A refusal as the README says: JSON `{code, message, details?}` with --json, else `CODE: message` on stderr. */
export const reportError = (out: Output, json: boolean, error: unknown): void => {
  const e = toPackageGuardError(error);
  if (json) out.stdout(`${JSON.stringify(e.toJSON())}\n`);
  else out.stderr(`${e.code}: ${e.message}\n`);
  process.exitCode = exitFor(e.code);
};

export const createKit = (deps: CliDeps): CliKit => {
  const raw: Output = deps.output ?? { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
  // Every byte a command prints passes here: no control character of any record, message or name reaches the
  // terminal, whichever command (or future one) printed it.
  const out: Output = { stdout: (s) => raw.stdout(forTerminal(s)), stderr: (s) => raw.stderr(forTerminal(s)) };
  const loadConfig = deps.loadConfig ?? ((paths: CliPaths) => loadCliConfig(paths));
  const hostAgents = deps.hostAgents ?? ((paths: CliPaths) => loadHostAgents(paths));

  // Runs one command: exit 0 on success, 1 on a denial (code printed), 2 on usage or configuration errors.
  const run =
    (action: CommandAction) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      const opts = cmd.optsWithGlobals() as CommonOptions;
      const positional = args.slice(0, -2).filter((a): a is string => typeof a === "string");
      try {
        const config = await loadConfig({ config: opts.config, stateDir: opts.stateDir });
        const service = await deps.openService(config);
        const result = await action(service, opts, ...positional);
        printResult(out, opts.json === true, result.value, result.human);
        process.exitCode = result.exit ?? EXIT.ok;
      } catch (error) {
        reportError(out, opts.json === true, error);
      }
    };
  return { run, out, loadConfig, hostAgents, deps };
};
