import { toPackageGuardError } from "../errors.js";
import type { AskResolution, InstallAsk, InstallApprovalService } from "../service/install-approval.js";
import { installRequestParams, isNpmRequest, npmInstallRequestParams } from "./params.js";
import type { GateLogger, ToolCallContext, ToolCallEvent } from "./tool-gate.js";

type AgentRunContext = ToolCallContext & { runId?: string | undefined; toolCallId?: string | undefined };

export type InstallApprovalResult = {
  requireApproval: {
    title: string;
    description: string;
    severity: "warning";
    timeoutMs: number;
    allowedDecisions: ("allow-once" | "allow-always" | "deny")[];
    timeoutReason: string;
    onResolution: (decision: AskResolution) => Promise<void>;
  };
};

// After "no approval route", the next request for the same grant skips the prompt for this long, so the agent gets
// APPROVAL_REQUIRED with the approval id (an operator can resolve it) instead of the same dead end again.
const NO_ROUTE_MS = 10 * 60 * 1000;
const SETTLE_MS = 10_000;

/**
 * install_package asks through OpenClaw's approvals (chat /approve, the Control UI) when its request needs one.
 * The user's answer resolves the guard's own approval, so the tool's pipeline finds the grant; the tool waits for
 * that write (settle) and ends an allow-once grant after its install (finish).
 */
export const createInstallApprovalGate = (deps: {
  service: () => Promise<InstallApprovalService>;
  timeoutMs: () => number;
  logger: GateLogger;
  now?: () => number;
}) => {
  const now = deps.now ?? Date.now;
  const resolutions = new Map<string, Promise<void>>();
  const once = new Map<string, InstallAsk>();
  const noRoute = new Map<string, number>();

  const beforeToolCall = async (
    event: ToolCallEvent,
    ctx: AgentRunContext,
  ): Promise<InstallApprovalResult | undefined> => {
    // Only agent runs: an operator's /tools/invoke call gets APPROVAL_REQUIRED with the id, as before.
    if (!ctx.runId || event.toolName !== "install_package") return undefined;
    // An npm request is asked for as npm (npm:<name> per component, the npm pipeline's grant), never as the PyPI
    // package of the same name.
    const npm = isNpmRequest(event.params);
    let ask: InstallAsk | null;
    let asking: (service: InstallApprovalService) => Promise<InstallAsk | null>;
    const caller = { agentId: ctx.agentId ?? null, sessionKey: ctx.sessionKey ?? null };
    try {
      if (npm) {
        const request = npmInstallRequestParams(event.params);
        asking = (service) => service.askNpm(request, caller);
      } else {
        const request = installRequestParams(event.params);
        asking = (service) => service.ask(request, caller);
      }
    } catch {
      return undefined;
    }
    try {
      const service = await deps.service();
      ask = await asking(service);
      if (!ask) return undefined;
      const key = JSON.stringify(ask.key);
      if ((noRoute.get(key) ?? 0) > now()) return undefined;
      const toolCallId = event.toolCallId ?? ctx.toolCallId;
      let settle!: () => void;
      if (toolCallId) resolutions.set(toolCallId, new Promise<void>((r) => (settle = r)));
      const found = ask;
      return {
        requireApproval: {
          title: found.title,
          description: found.description.slice(0, 512),
          severity: "warning",
          timeoutMs: deps.timeoutMs(),
          allowedDecisions: ["allow-once", "allow-always", "deny"],
          timeoutReason: found.timeoutReason,
          onResolution: async (decision) => {
            try {
              if (decision === "cancelled") noRoute.set(key, now() + NO_ROUTE_MS);
              await service.resolved(found, decision, caller);
              if (decision === "allow-once" && toolCallId) once.set(toolCallId, found);
            } catch (error) {
              deps.logger.warn(
                `package-guard: could not record an approval decision: ${toPackageGuardError(error).message}`,
              );
            } finally {
              settle?.();
              if (toolCallId && decision !== "allow-once" && decision !== "allow-always")
                resolutions.delete(toolCallId);
            }
          },
        },
      };
    } catch (error) {
      deps.logger.warn(`package-guard: could not ask for an approval: ${toPackageGuardError(error).message}`);
      return undefined;
    }
  };

  /** The tool waits here until the answer for its own call is written. */
  const settle = async (toolCallId: string): Promise<void> => {
    const pending = resolutions.get(toolCallId);
    if (pending) {
      let timer: NodeJS.Timeout | undefined;
      // The host reports the answer before it runs the tool; never wait on a report that will not come.
      await Promise.race([pending, new Promise<void>((r) => (timer = setTimeout(r, SETTLE_MS)))]);
      clearTimeout(timer);
    }
    resolutions.delete(toolCallId);
  };

  const finish = async (toolCallId: string): Promise<void> => {
    const ask = once.get(toolCallId);
    once.delete(toolCallId);
    if (!ask) return;
    const service = await deps.service();
    await service
      .finished(ask)
      .catch((error: unknown) =>
        deps.logger.warn(`package-guard: could not end an allow-once grant: ${toPackageGuardError(error).message}`),
      );
  };

  return { beforeToolCall, settle, finish };
};
