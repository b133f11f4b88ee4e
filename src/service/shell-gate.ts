import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { AuditInput, AuditStatus } from "../audit/log.js";
import { DEFAULT_SHELL, type PackageGuardConfig, type ShellConfig, type ShellMode } from "../config.js";
import { analyzeLoaded, type ExecEnv } from "../shell/analyze.js";
import { mentionedInstaller } from "../shell/names.js";
import { loadShellParser } from "../shell/parser.js";
import { touchesProtected } from "../shell/paths.js";
import { inputLines, inputText, patchPaths } from "../shell/tool-input.js";
import type { Field, Finding, PathContext } from "../shell/types.js";
import { redactSecrets } from "../util/redact.js";
import { decideFindings, SHELL_CODE, type ShellDecision } from "./shell-decision.js";

export { decideFindings, SHELL_CODE, type ShellDecision } from "./shell-decision.js";

/** The tools the gate sees (before_tool_call matcher): shells, input to running programs, file writes, plugins. */
export const GATED_TOOLS = [
  "exec",
  "process",
  "terminal",
  "shell",
  "shell_command",
  "write",
  "edit",
  "apply_patch",
  "plugins",
  "openclaw",
] as const;

/** Where package-guard keeps what an agent must not change. */
export type GuardPaths = {
  stateDir: string;
  home: string;
  configFile: string;
  protectedPaths: string[];
};

/** The paths of a parsed config, or (no valid config) the defaults under the state dir: fail closed either way. */
export const guardPaths = (
  config: PackageGuardConfig | null,
  stateDir: string,
  env: NodeJS.ProcessEnv = process.env,
): GuardPaths => {
  const dataDir = config?.dataDir ?? join(stateDir, "package-guard");
  const extra = config ? [config.venvRoot, config.audit.file, config.approvals.file, config.whitelist.file] : [];
  return {
    stateDir,
    home: env.HOME || homedir(),
    configFile: env.OPENCLAW_CONFIG_PATH?.trim() || join(stateDir, "openclaw.json"),
    protectedPaths: [...new Set([dataDir, ...extra].filter((p): p is string => typeof p === "string"))],
  };
};

export type GateCaller = { agentId: string | null; sessionKey: string | null };
export type ToolCall = {
  toolName: string;
  params: Record<string, unknown>;
  toolKind?: string | undefined;
  derivedPaths?: readonly string[] | undefined;
};

/** A decision about one tool call, with what the audit record needs. */
export type GateOutcome = ShellDecision & { tool: string; command: string };

export type ShellGateOptions = {
  shell?: ShellConfig;
  paths: GuardPaths;
  /** Appends an audit record; absent (no valid config, no audit log) the gate still decides. */
  record?: (input: AuditInput) => Promise<unknown>;
};

// What a request in words to OpenClaw's system agent must not be about.
const GUARD_WORDS =
  /package[-_ ]?guard|plugins\.(entries|allow|deny|load)|installpolicy|plugin\.approval|approvals?\s+resolve/i;
const MAX_SESSIONS = 1000;
const MAX_PENDING_CHARS = 8192;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const quote = (w: string): string => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/** exec's command (a string), or a harness shell's argv array, as shell text. */
const commandOf = (params: Record<string, unknown>): string | undefined => {
  const c = params.command ?? params.cmd;
  if (typeof c === "string") return c;
  if (Array.isArray(c) && c.every((w) => typeof w === "string")) return (c as string[]).map(quote).join(" ");
  return undefined;
};

const envOf = (params: Record<string, unknown>): ExecEnv => {
  const env = params.env;
  if (typeof env !== "object" || env === null || Array.isArray(env)) return {};
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string"));
};

const field = (text: string): Field => ({ text, known: true, glob: false, source: text, node: null });

/**
 * The shell gate: decides every gated tool call (exec commands, input typed into running programs, file tools
 * writing the guard's files, plugin and config changes that would switch the guard off) and audits refusals.
 */
export class ShellGate {
  readonly shell: ShellConfig;
  private readonly paths: GuardPaths;
  private readonly record: ((input: AuditInput) => Promise<unknown>) | undefined;
  // Text typed into each running program since its last Enter: a line split over several calls is checked whole.
  private readonly pending = new Map<string, string>();

  constructor(options: ShellGateOptions) {
    this.shell = options.shell ?? DEFAULT_SHELL;
    this.paths = options.paths;
    this.record = options.record;
  }

  get mode(): ShellMode {
    return this.shell.mode;
  }

  private pathContext(agentId: string | null, workdir?: string): PathContext {
    const workspaces = [
      join(this.paths.stateDir, "workspace"),
      ...(agentId ? [join(this.paths.stateDir, `workspace-${agentId}`)] : []),
    ];
    const cwds = workdir ? (isAbsolute(workdir) ? [workdir] : workspaces.map((w) => join(w, workdir))) : workspaces;
    return { ...this.paths, cwds };
  }

  /** The decision for one shell command (exec, shell-check). */
  async checkCommand(
    command: string,
    options: { agentId?: string | null; workdir?: string; env?: ExecEnv } = {},
  ): Promise<ShellDecision> {
    await loadShellParser();
    const analysis = analyzeLoaded(command, {
      paths: this.pathContext(options.agentId ?? null, options.workdir),
      env: options.env ?? {},
    });
    return decideFindings(analysis.findings, this.mode);
  }

  /** The decision for one gated tool call. Input typed into a running program is remembered when it passes. */
  async check(call: ToolCall, caller: GateCaller): Promise<GateOutcome> {
    const tool = call.toolName;
    if (this.mode === "off") return { ...decideFindings([], "off"), tool, command: "" };
    const params = call.params;
    if (tool === "exec" || tool === "shell" || tool === "shell_command") {
      // Code Mode's exec runs JavaScript whose tool calls come through this hook one by one.
      const command = call.toolKind === "code_mode_exec" ? undefined : commandOf(params);
      if (command === undefined) return { ...decideFindings([], this.mode), tool, command: "" };
      const decision = await this.checkCommand(command, {
        agentId: caller.agentId,
        workdir: str(params.workdir),
        env: envOf(params),
      });
      return { ...decision, tool, command };
    }
    if (tool === "process" || tool === "terminal") return this.checkInput(tool, params, caller);
    if (tool === "write" || tool === "edit" || tool === "apply_patch") return this.checkFiles(call, caller);
    if (tool === "plugins" || tool === "openclaw") return this.checkGuardTools(tool, params);
    return { ...decideFindings([], this.mode), tool, command: "" };
  }

  private async checkInput(tool: string, params: Record<string, unknown>, caller: GateCaller): Promise<GateOutcome> {
    const session = str(params.sessionId) ?? "";
    const key = `${caller.sessionKey ?? ""}\u0000${tool}\u0000${session}`;
    const action = str(params.action);
    if (action === "kill" || action === "remove" || action === "close") this.pending.delete(key);
    const text = inputText(tool, params);
    if (text === null) return { ...decideFindings([], this.mode), tool, command: "" };
    await loadShellParser();
    const before = this.pending.get(key) ?? "";
    const joined = inputLines(before, text);
    // Also the new input on its own: the remembered line may not be what the program really holds.
    const alone = inputLines("", text);
    const paths = this.pathContext(caller.agentId);
    const findings: Finding[] = [];
    for (const line of [...joined.lines, ...alone.lines]) {
      const body = line.text.trim();
      if (body) findings.push(...analyzeLoaded(body, { paths }).findings);
      const named = mentionedInstaller(body);
      if (named)
        findings.push({
          kind: "opaque",
          family: "process-input",
          command: body.slice(0, 200),
          reason: `input typed into a running program names '${named}'; the gate cannot tell which program reads it`,
        });
      if (line.edited && body)
        findings.push({
          kind: "opaque",
          family: "line-editing",
          command: body.slice(0, 200),
          reason: "the input uses line-editing keys (cursor movement, yank, escape sequences) the gate cannot follow",
        });
      if (line.history && line.submitted)
        findings.push({
          kind: "opaque",
          family: "history",
          command: body.slice(0, 200),
          reason: "the input recalls a command from the program's history, which the gate cannot see",
        });
    }
    const decision = decideFindings(dedupe(findings), this.mode);
    if (decision.decision === "pass") {
      if (this.pending.size >= MAX_SESSIONS) this.pending.delete(this.pending.keys().next().value!);
      if (joined.pending) this.pending.set(key, joined.pending.slice(-MAX_PENDING_CHARS));
      else this.pending.delete(key);
    }
    return { ...decision, tool, command: `${before}${text}` };
  }

  private checkFiles(call: ToolCall, caller: GateCaller): GateOutcome {
    const params = call.params;
    const paths = [
      ...[params.path, params.file_path, params.filePath].filter((p): p is string => typeof p === "string"),
      ...(call.derivedPaths ?? []),
      ...patchPaths(str(params.input) ?? str(params.patch) ?? ""),
    ];
    const ctx = this.pathContext(caller.agentId);
    const hit = paths.find((p) => touchesProtected(field(p), ctx));
    const findings: Finding[] = hit
      ? [
          {
            kind: "protected",
            family: "file-tool",
            command: hit,
            reason: `\`${call.toolName}\` would change '${hit}', which belongs to package-guard`,
          },
        ]
      : [];
    return { ...decideFindings(findings, this.mode), tool: call.toolName, command: paths.join(" ") };
  }

  private checkGuardTools(tool: string, params: Record<string, unknown>): GateOutcome {
    const findings: Finding[] = [];
    if (tool === "plugins") {
      const action = str(params.action) ?? "";
      const target = `${str(params.pluginId) ?? ""} ${str(params.packageName) ?? ""}`;
      if (["disable", "uninstall"].includes(action) && /package-guard/i.test(target))
        findings.push({
          kind: "guard",
          family: "plugins-tool",
          command: `${action} ${target.trim()}`,
          reason: `the plugins tool would ${action} package-guard`,
        });
    } else {
      // The openclaw tool hands a request in words to OpenClaw's system agent: refused when it names the guard.
      const message = str(params.message) ?? "";
      if (GUARD_WORDS.test(message))
        findings.push({
          kind: "guard",
          family: "openclaw-tool",
          command: message.slice(0, 200),
          reason: "the request to OpenClaw's system agent concerns package-guard's configuration or approvals",
        });
    }
    return { ...decideFindings(findings, this.mode), tool, command: str(params.message) ?? str(params.action) ?? "" };
  }

  /** One audit record (source exec) for a refusal, an approval request or its resolution. */
  async audit(
    outcome: GateOutcome,
    caller: GateCaller,
    status: AuditStatus,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    if (!this.record) return;
    const command = outcome.command;
    await this.record({
      source: "exec",
      status,
      agentId: caller.agentId,
      sessionKey: caller.sessionKey,
      // The audit log redacts it, keeps an excerpt and the SHA-256 of the whole (requested, requestedSha256).
      requested: command,
      package: outcome.package ?? null,
      code: status === "blocked" ? SHELL_CODE : null,
      reason: outcome.reason,
      details: {
        tool: outcome.tool,
        commandChars: command.length,
        family: outcome.family ?? null,
        kind: outcome.kind ?? null,
        decision: outcome.decision,
        mode: this.mode,
        findings: outcome.findings
          .slice(0, 10)
          .map((f) => ({ kind: f.kind, family: f.family, reason: redactSecrets(f.reason) })),
        ...extra,
      },
    });
  }
}

const dedupe = (findings: Finding[]): Finding[] => {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.kind}\u0000${f.family}\u0000${f.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};
