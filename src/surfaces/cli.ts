import type { Command } from "commander";
import { MATURITY_LEVELS, type Maturity, type PackageGuardConfig } from "../config.js";
import { PackageGuardError, toPackageGuardError } from "../errors.js";
import { APPROVAL_FILTERS } from "../service-types.js";
import type { PackageService } from "../service.js";
import { loadCliConfig, type CliPaths } from "./cli-context.js";
import { printResult, type Output } from "./cli-output.js";

export type CliDeps = {
  /** Builds the service for the chosen config/state dir (the host passes its own config when --config is absent). */
  openService: (config: PackageGuardConfig) => Promise<PackageService>;
  loadConfig?: (paths: CliPaths) => Promise<PackageGuardConfig>;
  output?: Output;
  installPolicy?: (config: PackageGuardConfig, opts: CommonOptions) => Promise<number>;
};

export type CommonOptions = { config?: string; stateDir?: string; json?: boolean };

const EXIT = { ok: 0, denied: 1, usage: 2 } as const;

const withCommon = (cmd: Command): Command =>
  cmd
    .option("--config <path>", "openclaw.json to read the package-guard block from (default: the host's)")
    .option("--state-dir <dir>", "OpenClaw state directory (default: $OPENCLAW_STATE_DIR or ~/.openclaw)")
    .option("--json", "print one JSON object");

/** One of a fixed set of values for an option, or a usage error naming them. */
const choice = <T extends string>(flag: string, value: string, allowed: readonly T[]): T => {
  if (!(allowed as readonly string[]).includes(value))
    throw new PackageGuardError("CONFIG_INVALID", `${flag} must be one of: ${allowed.join(", ")}`);
  return value as T;
};

const parseMaturity = (value: string): Maturity => choice("--maturity", value, MATURITY_LEVELS);

/** Mounts the operator commands on `root` ("openclaw packages" or the package-guard bin). */
export const buildCommands = (root: Command, deps: CliDeps): void => {
  const out: Output = deps.output ?? { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
  const loadConfig = deps.loadConfig ?? ((paths: CliPaths) => loadCliConfig(paths));

  // Runs one command: exit 0 on success, 1 on a denial (code printed), 2 on usage or configuration errors.
  const run =
    (
      action: (
        service: PackageService,
        opts: CommonOptions,
        ...args: string[]
      ) => Promise<{ value: unknown; exit?: number; human?: string }>,
    ) =>
    async (...args: unknown[]) => {
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
        const e = toPackageGuardError(error);
        if (opts.json) out.stdout(`${JSON.stringify(e.toJSON())}\n`);
        else out.stderr(`${e.code}: ${e.message}\n`);
        process.exitCode = e.code === "CONFIG_INVALID" ? EXIT.usage : EXIT.denied;
      }
    };

  withCommon(root.command("check <requirement>"))
    .description("Decide a request without installing anything (whitelist and grammar only; no network)")
    .option("--agent <id>", "the agent whose configured maturity applies")
    .option("--maturity <level>", `a maturity level: ${MATURITY_LEVELS.join(", ")}`)
    .action(
      run(async (service, opts, requirement) => {
        const o = opts as CommonOptions & { agent?: string; maturity?: string };
        if ((o.agent === undefined) === (o.maturity === undefined)) {
          throw new PackageGuardError(
            "CONFIG_INVALID",
            "check needs exactly one of --agent <id> or --maturity <level>",
          );
        }
        const result = await service.check(
          requirement ?? "",
          o.maturity !== undefined ? { maturity: parseMaturity(o.maturity) } : { agentId: o.agent ?? null },
        );
        const human = result.allowed
          ? `ALLOWED ${result.package}${result.specifier ? ` ${result.specifier}` : ""} for ${result.maturity} ` +
            `agents${result.requiresApproval ? " (needs approval)" : ""}`
          : `DENIED ${result.code}: ${result.message}`;
        return { value: result, human, exit: result.allowed ? EXIT.ok : EXIT.denied };
      }),
    );

  withCommon(root.command("install <requirement>"))
    .description("Install through the whole pipeline, as the install_package tool does")
    .requiredOption("--skill <id>", "skill whose virtualenv receives the package")
    .option("--agent <id>", "agent whose configured maturity applies (default: the default maturity)")
    .option("--version <range>", "version range")
    .action(
      run(async (service, opts, requirement) => {
        const o = opts as CommonOptions & { skill: string; agent?: string; version?: string };
        const result = await service.install(
          { package: requirement ?? "", skill: o.skill, ...(o.version ? { version: o.version } : {}) },
          { source: "cli", agentId: o.agent ?? null, client: "cli" },
        );
        return { value: result, human: `Installed ${result.package}==${result.version} into ${result.installPath}` };
      }),
    );

  withCommon(root.command("uninstall <package>"))
    .description("Remove a package (and dependencies nothing else needs) from a skill's virtualenv")
    .requiredOption("--skill <id>", "skill id")
    .action(
      run(async (service, opts, pkg) => {
        const result = await service.uninstall(
          { package: pkg ?? "", skill: (opts as { skill: string }).skill },
          { source: "cli", client: "cli" },
        );
        return { value: result, human: `Removed: ${result.removed.join(", ") || "nothing"}` };
      }),
    );

  withCommon(root.command("installed"))
    .description("What is really installed in each skill's virtualenv")
    .option("--skill <id>", "only this skill")
    .action(run(async (service, opts) => ({ value: await service.installed((opts as { skill?: string }).skill) })));

  const whitelist = root.command("whitelist").description("The package whitelist");
  withCommon(whitelist.command("list"))
    .description("Entries visible at a maturity level (lower levels inherited)")
    .option("--maturity <level>", "maturity level", "student")
    .option("--category <c>", "only this category")
    .action(
      run(async (service, opts) => {
        const o = opts as { maturity: string; category?: string };
        return { value: await service.whitelistList(parseMaturity(o.maturity), o.category) };
      }),
    );

  withCommon(whitelist.command("add <package>"))
    .description("Add or replace an entry in the operator overlay (<state>/package-guard/whitelist.yaml)")
    .requiredOption("--maturity <level>", "lowest maturity that may install it")
    .option("--version <range>", "approved PEP 440 range, e.g. '>=2,<3'")
    .option("--category <c>")
    .option("--description <text>")
    .option("--max-memory-mb <n>")
    .option("--network", "the package needs network access")
    .option("--requires-approval", "each agent+skill needs an operator approval")
    .option("--extras <list>", "comma-separated extras agents may request")
    .action(
      run(async (service, opts, pkg) => {
        const o = opts as {
          maturity: string;
          version?: string;
          category?: string;
          description?: string;
          maxMemoryMb?: string;
          network?: boolean;
          requiresApproval?: boolean;
          extras?: string;
        };
        const memory = o.maxMemoryMb === undefined ? undefined : Number(o.maxMemoryMb);
        if (memory !== undefined && !(Number.isInteger(memory) && memory > 0))
          throw new PackageGuardError("CONFIG_INVALID", "--max-memory-mb must be a positive integer");
        const entry = {
          package: pkg,
          maturity: parseMaturity(o.maturity),
          ...(o.version !== undefined ? { version: o.version } : {}),
          ...(o.category !== undefined ? { category: o.category } : {}),
          ...(o.description !== undefined ? { description: o.description } : {}),
          ...(memory !== undefined ? { max_memory_mb: memory } : {}),
          ...(o.network ? { network_access: true } : {}),
          ...(o.requiresApproval ? { requires_approval: true } : {}),
          ...(o.extras ? { extras: o.extras.split(",").map((e) => e.trim()) } : {}),
        };
        const created = await service.whitelistAdd(entry, { source: "cli", client: "cli" });
        return {
          value: created,
          human: `Added ${created.package} ${created.version || "(any version)"} at ${created.maturity}`,
        };
      }),
    );
  withCommon(whitelist.command("remove <package>"))
    .description("Remove an entry (from one tier with --maturity, else everywhere); installed copies stay")
    .option("--maturity <level>")
    .action(
      run(async (service, opts, pkg) => {
        const m = (opts as { maturity?: string }).maturity;
        const result = await service.whitelistRemove(pkg ?? "", m === undefined ? undefined : parseMaturity(m), {
          source: "cli",
          client: "cli",
        });
        const still =
          result.stillInstalledIn.length > 0 ? `; still installed in: ${result.stillInstalledIn.join(", ")}` : "";
        return {
          value: result,
          human: `${result.removed ? "Removed" : "Not on the whitelist:"} ${result.package}${still}`,
          exit: result.removed ? EXIT.ok : EXIT.denied,
        };
      }),
    );

  const approvals = root.command("approvals").description("Requests for packages that need operator approval");
  withCommon(approvals.command("list"))
    .description("Approvals, newest first")
    .option("--status <status>", "pending, approved, denied or expired")
    .action(
      run(async (service, opts) => {
        const status = (opts as { status?: string }).status;
        return {
          value: await service.approvalsList(
            status === undefined ? undefined : choice("--status", status, APPROVAL_FILTERS),
          ),
        };
      }),
    );
  withCommon(approvals.command("resolve <id> <decision>"))
    .description("approve or deny a pending approval")
    .option("--ttl-hours <n>", "how long an approval lasts (default: approvals.ttlHours)")
    .option("--note <text>", "why")
    .action(
      run(async (service, opts, id, decision) => {
        const o = opts as { ttlHours?: string; note?: string };
        if (decision !== "approve" && decision !== "deny")
          throw new PackageGuardError("CONFIG_INVALID", "decision must be approve or deny");
        const ttlHours = o.ttlHours === undefined ? undefined : Number(o.ttlHours);
        if (ttlHours !== undefined && !(ttlHours > 0))
          throw new PackageGuardError("CONFIG_INVALID", "--ttl-hours must be a positive number");
        const approval = await service.approvalsResolve(
          id ?? "",
          decision,
          { ...(ttlHours ? { ttlHours } : {}), ...(o.note ? { note: o.note } : {}) },
          { source: "cli", client: "cli" },
        );
        return {
          value: approval,
          human: `${approval.id}: ${approval.status}${approval.expiresAt ? ` until ${approval.expiresAt}` : ""}`,
        };
      }),
    );

  const overrides = root
    .command("overrides")
    .description("Vulnerability overrides: one vulnerable release let through for one skill");
  withCommon(overrides.command("list"))
    .description("Overrides, live and expired")
    .action(run(async (service) => ({ value: await service.overridesList() })));
  withCommon(overrides.command("add <package> <version>"))
    .description("Let <package>==<version> through the scan for one skill despite the listed advisories, until a date")
    .requiredOption("--skill <id>", "the skill it applies to")
    .requiredOption("--advisory <id...>", "advisory ids it covers (PYSEC-…, GHSA-…, CVE-…); others still block")
    .requiredOption("--reason <text>", "why this is acceptable")
    .requiredOption("--expires <YYYY-MM-DD>", "last day it applies (at most 366 days ahead)")
    .action(
      run(async (service, opts, pkg, version) => {
        const o = opts as { skill: string; advisory: string[]; reason: string; expires: string };
        const override = await service.overridesAdd(
          {
            skill: o.skill,
            package: pkg ?? "",
            version: version ?? "",
            advisories: o.advisory,
            reason: o.reason,
            expires: o.expires,
          },
          { source: "cli", client: "cli" },
        );
        return {
          value: override,
          human:
            `${override.id}: ${override.package}==${override.version} for skill ${override.skill}, ` +
            `${override.advisories.join(", ")}, until ${override.expires}`,
        };
      }),
    );

  const audit = root.command("audit").description("The audit log");
  withCommon(audit.command("query"))
    .description("Audit records, newest first")
    .option("--limit <n>", "at most this many (1-500)", "100")
    .option("--package <name>")
    .option("--skill <id>")
    .option("--agent <id>")
    .option("--status <status>")
    .option("--since <iso-date>")
    .action(
      run(async (service, opts) => {
        const o = opts as {
          limit: string;
          package?: string;
          skill?: string;
          agent?: string;
          status?: string;
          since?: string;
        };
        const limit = Number.parseInt(o.limit, 10);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500)
          throw new PackageGuardError("CONFIG_INVALID", "--limit must be 1-500");
        return {
          value: await service.installations({
            limit,
            package: o.package,
            skillId: o.skill,
            agentId: o.agent,
            status: o.status as never,
            since: o.since,
          }),
        };
      }),
    );
  withCommon(audit.command("verify"))
    .description("Walk the hash chain; report the first line that was edited, deleted, inserted or truncated")
    .action(
      run(async (service) => {
        const result = await service.verifyAudit();
        const human = result.ok
          ? `OK: ${result.records} records, chain intact`
          : `BROKEN at ${result.firstBadLine?.file}:${result.firstBadLine?.line}: ${result.firstBadLine?.problem}`;
        return { value: result, human, exit: result.ok ? EXIT.ok : EXIT.denied };
      }),
    );

  withCommon(root.command("doctor"))
    .description("Tools found (uv, python, pip-audit), versions, paths, state dir, index, effective config")
    .action(
      run(async (service) => {
        const report = await service.doctor();
        return { value: report, exit: report.ok ? EXIT.ok : EXIT.denied };
      }),
    );

  if (deps.installPolicy) {
    const installPolicy = deps.installPolicy;
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
  }
};

export { EXIT };
