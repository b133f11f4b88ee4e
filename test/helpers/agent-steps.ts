import { expect } from "vitest";
import type { GatewayClient } from "./gateway-client.js";
import {
  agentTurn,
  messageText,
  startMockModel,
  toolResultsSinceUser,
  userText,
  type MockModel,
  type ToolCall,
} from "./mock-model.js";

/** A turn of a scripted agent: each step sees the tool results so far and returns the next tool calls, or null. */
export type Step = (results: string[]) => ToolCall[] | null;

export const once =
  (...calls: ToolCall[]): Step =>
  (results) =>
    results.length === 0 ? calls : null;

export const exec = (command: string, extra: Record<string, unknown> = {}): ToolCall => ({
  name: "exec",
  arguments: { command, ...extra },
});

export type StepModel = {
  model: MockModel;
  /** One agent turn (`run:<key>`) following `step`; returns the tool results the model was given back. */
  turn: (gateway: { url: string; token: string }, agentId: string, key: string, step: Step) => Promise<string[]>;
};

/**
 * A mock model that plays scripted turns: the user's message `run:<key>` selects a Step; when the step has no
 * more calls the model answers `TOOL RESULTS: [...]`.
 */
export const startStepModel = async (): Promise<StepModel> => {
  const steps = new Map<string, Step>();
  const model = await startMockModel((request) => {
    const key = /run:([\w.-]+)/.exec(userText(request))?.[1];
    const step = key === undefined ? undefined : steps.get(key);
    if (!step) return { text: "No scripted turn for this message." };
    const results = toolResultsSinceUser(request).map(messageText);
    const calls = step(results);
    return calls ? { toolCalls: calls } : { text: `TOOL RESULTS: ${JSON.stringify(results)}` };
  });
  const turn: StepModel["turn"] = async (gateway, agentId, key, step) => {
    steps.set(key, step);
    const outcome = await agentTurn(gateway, agentId, `run:${key}`);
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    const last = model.requests.findLast((r) => userText(r).includes(`run:${key}`));
    return last ? toolResultsSinceUser(last).map(messageText) : [];
  };
  return { model, turn };
};

export type AuditRow = {
  source: string;
  status: string;
  agentId: string | null;
  requested: string | null;
  requestedSha256: string | null;
  details: Record<string, unknown> | null;
};

/** The audit log's records from the shell gate (source exec), newest first. */
export const execRecords = async (client: GatewayClient): Promise<AuditRow[]> => {
  const r = await client.call<AuditRow[]>("packages.installations", { limit: 500 });
  if (!r.ok) throw new Error(r.error.message);
  return r.payload.filter((x) => x.source === "exec");
};

// A safety net, should the gate ever let an install through: a gateway started while this is set (and every exec
// it runs) reaches the internet only through a proxy that does not exist. Loopback stays direct.
const PROXY_ENV = {
  HTTP_PROXY: "http://127.0.0.1:9",
  HTTPS_PROXY: "http://127.0.0.1:9",
  ALL_PROXY: "http://127.0.0.1:9",
  NO_PROXY: "127.0.0.1,localhost",
};

/** Sets the dead proxy in this process's environment (startGateway passes it on); returns the undo. */
export const deadProxy = (): (() => void) => {
  const saved = Object.fromEntries(Object.keys(PROXY_ENV).map((k) => [k, process.env[k]]));
  Object.assign(process.env, PROXY_ENV);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
};
