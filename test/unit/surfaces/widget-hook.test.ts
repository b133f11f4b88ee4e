import { describe, expect, it } from "vitest";
import type { WidgetDecision, WidgetRequest } from "../../../src/service/widget-gate.js";
import { createWidgetHook, type WidgetReviewer } from "../../../src/surfaces/widget-hook.js";

class Reviewer implements WidgetReviewer {
  seen: WidgetRequest[] = [];
  constructor(private readonly answer: (r: WidgetRequest, signal?: AbortSignal) => Promise<WidgetDecision>) {}
  review(request: WidgetRequest, signal?: AbortSignal): Promise<WidgetDecision> {
    this.seen.push(request);
    return this.answer(request, signal);
  }
}

const warnings: string[] = [];
const hookWith = (reviewer: Reviewer, budgetMs = 5_000) =>
  createWidgetHook({ getGate: async () => reviewer, logger: { warn: (m) => warnings.push(m) }, budgetMs });

const allowed = (widgetCode: string, changed: boolean): WidgetDecision => ({
  allowed: true,
  widgetCode,
  changed,
  libraries: [],
});

describe("the show_widget hook", () => {
  it("continues with the rewritten widget_code and every other parameter as the model sent it", async () => {
    const reviewer = new Reviewer(async () => allowed("<script src=x integrity=y></script>", true));
    const params = { title: "Chart", widget_code: "<script src=x></script>", pin: true };
    const result = await hookWith(reviewer)(
      { toolName: "show_widget", params, toolCallId: "call-1" },
      { agentId: "main", sessionKey: "agent:main:main" },
    );
    expect(result).toEqual({ params: { ...params, widget_code: "<script src=x integrity=y></script>" } });
    expect(reviewer.seen).toEqual([
      {
        widgetCode: "<script src=x></script>",
        capabilities: undefined,
        agentId: "main",
        sessionKey: "agent:main:main",
        toolCallId: "call-1",
      },
    ]);
  });

  it("changes nothing when the gate changed nothing, and blocks with the gate's reason on a refusal", async () => {
    const ok = await hookWith(new Reviewer(async () => allowed("<p>x</p>", false)))(
      { toolName: "show_widget", params: { title: "t", widget_code: "<p>x</p>" } },
      {},
    );
    expect(ok).toBeUndefined();
    const refused = await hookWith(
      new Reviewer(async () => ({
        allowed: false,
        code: "NOT_WHITELISTED",
        reason: "package-guard refused this widget: [NOT_WHITELISTED] left-pad",
        libraries: [],
        refusals: [],
      })),
    )({ toolName: "show_widget", params: { title: "t", widget_code: "<script src=y></script>" } }, {});
    expect(refused).toEqual({
      block: true,
      blockReason: "package-guard refused this widget: [NOT_WHITELISTED] left-pad",
    });
  });

  it("leaves registered (non-HTML) kinds, reports and other tools alone", async () => {
    const reviewer = new Reviewer(async () => allowed("", false));
    const hook = hookWith(reviewer);
    expect(
      await hook({ toolName: "show_widget", params: { title: "t", kind: "mermaid", widget_code: "a" } }, {}),
    ).toBeUndefined();
    expect(
      await hook({ toolName: "show_widget", params: { title: "t", pin: true, report: { blocks: [] } } }, {}),
    ).toBeUndefined();
    expect(await hook({ toolName: "exec", params: { command: "ls" } }, {})).toBeUndefined();
    expect(reviewer.seen).toEqual([]);
    // An explicit "html" kind, padded, is HTML.
    await hook({ toolName: "show_widget", params: { title: "t", kind: " html ", widget_code: "<p>a</p>" } }, {});
    expect(reviewer.seen).toHaveLength(1);
  });

  it("fails closed: a gate error, a non-string widget_code, and a gate slower than the budget all block", async () => {
    const broken = await hookWith(new Reviewer(async () => Promise.reject(new Error("boom"))))(
      { toolName: "show_widget", params: { title: "t", widget_code: "<p>x</p>" } },
      {},
    );
    expect(broken).toMatchObject({ block: true, blockReason: expect.stringContaining("boom") });
    const notString = await hookWith(new Reviewer(async () => allowed("", false)))(
      { toolName: "show_widget", params: { title: "t", widget_code: ["<script src=x>"] } },
      {},
    );
    expect(notString).toMatchObject({ block: true });
    let aborted = false;
    const slow = new Reviewer(
      (_r, signal) =>
        new Promise((resolve) =>
          signal?.addEventListener("abort", () => {
            aborted = true;
            resolve(allowed("<p>late</p>", true));
          }),
        ),
    );
    const late = await hookWith(slow, 50)({ toolName: "show_widget", params: { title: "t", widget_code: "x" } }, {});
    expect(late).toMatchObject({ block: true, blockReason: expect.stringContaining("within 0.05 s") });
    expect(aborted).toBe(true);
  });
});
