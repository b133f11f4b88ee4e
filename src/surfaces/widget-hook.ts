import { toPackageGuardError } from "../errors.js";
import type { WidgetDecision, WidgetRequest } from "../service/widget-gate.js";

/** The parts of OpenClaw's before_tool_call event and context this adapter reads (docs/plugins/hooks). */
export type ToolCallEvent = { toolName: string; params: Record<string, unknown>; toolCallId?: string };
export type ToolCallContext = {
  agentId?: string;
  sessionKey?: string;
  toolCallId?: string;
  abortSignal?: AbortSignal;
};
export type ToolCallResult = { block?: boolean; blockReason?: string; params?: Record<string, unknown> };

export type WidgetReviewer = { review(request: WidgetRequest, signal?: AbortSignal): Promise<WidgetDecision> };
export type WidgetHookLogger = { warn(message: string): void };

export const SHOW_WIDGET = "show_widget";

const block = (blockReason: string): ToolCallResult => ({ block: true, blockReason });

/**
 * before_tool_call on show_widget: HTML widget code goes through the gate; a refusal blocks the call with the
 * gate's reason (the model receives it and can fix the widget), an allowed widget continues with its rewritten
 * code. OpenClaw fails this hook closed after 15 s; the gate answers within `budgetMs`, or blocks.
 */
export const createWidgetHook =
  (deps: { getGate: () => Promise<WidgetReviewer>; logger: WidgetHookLogger; budgetMs: number }) =>
  async (event: ToolCallEvent, ctx: ToolCallContext): Promise<ToolCallResult | undefined> => {
    if (event.toolName !== SHOW_WIDGET) return undefined;
    const params = event.params ?? {};
    const kind = typeof params.kind === "string" ? params.kind.trim() : "";
    // A registered content kind is not HTML: OpenClaw builds its document with script-src 'self', no CDN at all.
    if (kind !== "" && kind !== "html") return undefined;
    const code = params.widget_code;
    // No widget code: a report (structured data, no markup) or a call OpenClaw itself rejects.
    if (code === undefined || code === null || (typeof code === "string" && code.trim() === "")) {
      return params.capabilities === undefined ? undefined : reviewed(deps, { widgetCode: "", event, ctx });
    }
    if (typeof code !== "string") return block("package-guard refused this widget: widget_code is not a string");
    return reviewed(deps, { widgetCode: code, event, ctx });
  };

const reviewed = async (
  deps: { getGate: () => Promise<WidgetReviewer>; logger: WidgetHookLogger; budgetMs: number },
  input: { widgetCode: string; event: ToolCallEvent; ctx: ToolCallContext },
): Promise<ToolCallResult | undefined> => {
  const { event, ctx } = input;
  const budget = AbortSignal.timeout(deps.budgetMs);
  const signal = ctx.abortSignal ? AbortSignal.any([ctx.abortSignal, budget]) : budget;
  const timedOut = new Promise<ToolCallResult>((resolve) =>
    budget.addEventListener("abort", () =>
      resolve(
        block(
          `package-guard could not check this widget's libraries within ${deps.budgetMs / 1000} s (registry or ` +
            `scanner slow), so it is blocked. Retry; the libraries it fetched stay cached.`,
        ),
      ),
    ),
  );
  const decided = (async (): Promise<ToolCallResult | undefined> => {
    const decision = await (
      await deps.getGate()
    ).review(
      {
        widgetCode: input.widgetCode,
        capabilities: event.params.capabilities,
        agentId: ctx.agentId ?? null,
        sessionKey: ctx.sessionKey ?? null,
        toolCallId: ctx.toolCallId ?? event.toolCallId ?? null,
      },
      signal,
    );
    if (!decision.allowed) return block(decision.reason);
    return decision.changed ? { params: { ...event.params, widget_code: decision.widgetCode } } : undefined;
  })().catch((error: unknown) => {
    const e = toPackageGuardError(error);
    deps.logger.warn(`package-guard: widget gate failed: [${e.code}] ${e.message}`);
    // SECURITY: fail closed; an error in the gate never lets a widget through unchecked.
    return block(`package-guard could not check this widget, so it is blocked: [${e.code}] ${e.message}`);
  });
  return Promise.race([decided, timedOut]);
};
