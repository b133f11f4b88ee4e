import { toPackageGuardError } from "../errors.js";
import { SHELL_CODE, type GateCaller, type GateOutcome, type ShellGate, type ToolCall } from "../service/shell-gate.js";
import { mentionedInstaller } from "../shell/names.js";

/** The parts of OpenClaw's before_tool_call event and context this adapter reads. */
export type ToolCallEvent = {
  toolName: string;
  params: Record<string, unknown>;
  toolKind?: string | undefined;
  derivedPaths?: readonly string[] | undefined;
  toolCallId?: string | undefined;
};
export type ToolCallContext = { agentId?: string | undefined; sessionKey?: string | undefined };

export type ApprovalDecision = "allow-once" | "allow-always" | "deny" | "timeout" | "cancelled";
export type ToolGateResult =
  | { block: true; blockReason: string }
  | {
      requireApproval: {
        title: string;
        description: string;
        severity: "warning";
        timeoutMs: number;
        allowedDecisions: ("allow-once" | "deny")[];
        timeoutReason: string;
        onResolution: (decision: ApprovalDecision) => Promise<void>;
      };
    };

export type GateLogger = { warn(message: string): void };

const oneLine = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** When the gate itself fails: refuse what names an installer or the guard, let the rest run, and say so. */
const fallback = (call: ToolCall, error: unknown): GateOutcome => {
  const text = JSON.stringify(call.params);
  const named = mentionedInstaller(text) ?? (/package-guard|openclaw/i.test(text) ? "package-guard" : null);
  const why = toPackageGuardError(error).message;
  return {
    decision: named ? "block" : "pass",
    reason: `[${SHELL_CODE}] package-guard could not check this call (${why}); it names '${named}': blocked`,
    findings: [],
    tool: call.toolName,
    command: text,
  };
};

/**
 * The before_tool_call handler for the gated tools: translates the host's event, asks the gate, audits the
 * refusal or approval request, and answers block / requireApproval. Anything that throws fails closed (above).
 */
export const createToolGate =
  (deps: { gate: () => ShellGate; logger: GateLogger }) =>
  async (event: ToolCallEvent, ctx: ToolCallContext): Promise<ToolGateResult | undefined> => {
    const gate = deps.gate();
    const call: ToolCall = {
      toolName: event.toolName,
      params: event.params ?? {},
      toolKind: event.toolKind,
      derivedPaths: event.derivedPaths,
    };
    const caller: GateCaller = { agentId: ctx.agentId ?? null, sessionKey: ctx.sessionKey ?? null };
    let outcome: GateOutcome;
    try {
      outcome = await gate.check(call, caller);
    } catch (error) {
      deps.logger.warn(
        `package-guard: the shell gate failed on ${event.toolName}: ${toPackageGuardError(error).message}`,
      );
      outcome = fallback(call, error);
    }
    if (outcome.decision === "pass") return undefined;
    const audited = await gate
      .audit(outcome, caller, outcome.decision === "block" ? "blocked" : "approval_requested")
      .then(
        () => null,
        (error: unknown) => toPackageGuardError(error).message,
      );
    if (audited !== null) deps.logger.warn(`package-guard: could not record a shell-gate decision: ${audited}`);
    const unrecorded = audited === null ? "" : ` (package-guard could not record this decision: ${audited})`;
    if (outcome.decision === "block") {
      deps.logger.warn(
        `package-guard: blocked ${event.toolName} for agent ${caller.agentId ?? "?"}: ${oneLine(outcome.reason, 300)}`,
      );
      return { block: true, blockReason: `${outcome.reason}${unrecorded}` };
    }
    const who = caller.agentId ?? "an agent";
    return {
      requireApproval: {
        title: oneLine(`${who}: ${outcome.family ?? "install"} through ${event.toolName}`, 80),
        description: oneLine(`Agent ${who} wants to run: ${outcome.command} — ${outcome.reason}`, 512),
        severity: "warning",
        timeoutMs: gate.shell.approvalTimeoutMs,
        // An allow-always would have to trust a command pattern; the gate never does.
        allowedDecisions: ["allow-once", "deny"],
        timeoutReason: `[${SHELL_CODE}] Nobody approved this ${event.toolName} call in time, so it did not run.`,
        onResolution: async (decision) => {
          await gate
            .audit(outcome, caller, "approval_resolved", { resolution: decision })
            .catch((error: unknown) =>
              deps.logger.warn(`package-guard: could not record an approval: ${toPackageGuardError(error).message}`),
            );
        },
      },
    };
  };
