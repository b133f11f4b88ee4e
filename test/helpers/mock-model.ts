import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A scriptable OpenAI-compatible chat model on 127.0.0.1, so e2e tests can drive real agent turns in a real
 * gateway without a real model: the script decides, from the request OpenClaw sends, whether the model answers
 * with tool calls or with text. Streaming (SSE) and plain JSON responses are both served.
 */

export type ChatMessage = {
  role: string;
  content?: unknown;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  name?: string;
};

export type ChatTool = { type: string; function: { name: string; description?: string; parameters?: unknown } };

export type ChatRequest = { model: string; messages: ChatMessage[]; tools?: ChatTool[]; stream?: boolean };

export type ToolCall = { name: string; arguments: Record<string, unknown> };
export type ModelReply = { text: string } | { toolCalls: ToolCall[] };

/** Decides the model's answer to one request. */
export type Script = (request: ChatRequest) => ModelReply;

export type MockModel = {
  /** The OpenAI base URL, `http://127.0.0.1:<port>/v1`. */
  baseUrl: string;
  /** Every request received, oldest first. */
  requests: ChatRequest[];
  setScript(script: Script): void;
  close(): Promise<void>;
};

export const MOCK_PROVIDER = "mock";
export const MOCK_MODEL_ID = "mock-model";

// OpenClaw appends its own context as a user message after tool results; it is not the user's turn.
const INTERNAL_CONTEXT = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>";

export const messageText = (message: ChatMessage): string => {
  const { content } = message;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === "object" && part !== null && "text" in part ? String(part.text) : ""))
      .join("");
  }
  return "";
};

/** Index of the last user message a person wrote (OpenClaw's internal-context messages are skipped). */
export const lastUserTurn = (messages: readonly ChatMessage[]): number =>
  messages.findLastIndex((m) => m.role === "user" && !messageText(m).includes(INTERNAL_CONTEXT));

/** The tool results that arrived after the user's last message, oldest first. */
export const toolResultsSinceUser = (request: ChatRequest): ChatMessage[] =>
  request.messages.slice(lastUserTurn(request.messages) + 1).filter((m) => m.role === "tool");

/** The text of the user's last message. */
export const userText = (request: ChatRequest): string => {
  const at = lastUserTurn(request.messages);
  return at < 0 ? "" : messageText(request.messages[at]!);
};

/**
 * The usual script: the user's message is a marker `run:<key>`; the model calls the tools `turns[key]` names
 * once, then answers with one line of text quoting every tool result as JSON (`TOOL RESULTS: [...]`); the
 * requests the mock received (`model.requests`) hold the same results.
 * Looking for tool results after the user's message, not at the last message, avoids an endless tool loop.
 */
export const toolThenText =
  (turns: Record<string, ToolCall[]>): Script =>
  (request) => {
    const key = /run:([\w.-]+)/.exec(userText(request))?.[1];
    const calls = key === undefined ? undefined : turns[key];
    if (calls === undefined) return { text: "No scripted turn for this message." };
    const results = toolResultsSinceUser(request);
    if (results.length === 0) return { toolCalls: calls };
    // One line: OpenClaw's chat endpoint may keep only the last line of a multi-line final answer.
    return { text: `TOOL RESULTS: ${JSON.stringify(results.map(messageText))}` };
  };

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
};

const toOpenAiCalls = (calls: ToolCall[]) =>
  calls.map((c, index) => ({
    index,
    id: `call_${randomUUID().replaceAll("-", "").slice(0, 24)}`,
    type: "function",
    function: { name: c.name, arguments: JSON.stringify(c.arguments) },
  }));

const respond = (res: ServerResponse, request: ChatRequest, reply: ModelReply): void => {
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const calls = "toolCalls" in reply ? toOpenAiCalls(reply.toolCalls) : undefined;
  const finish = calls ? "tool_calls" : "stop";
  const usage = { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };
  if (!request.stream) {
    const message = calls
      ? { role: "assistant", content: null, tool_calls: calls.map(({ index: _index, ...c }) => c) }
      : { role: "assistant", content: "text" in reply ? reply.text : "" };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id,
        object: "chat.completion",
        created,
        model: request.model,
        choices: [{ index: 0, message, finish_reason: finish }],
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const chunk = (delta: Record<string, unknown>, finishReason: string | null, extra: Record<string, unknown> = {}) =>
    res.write(
      `data: ${JSON.stringify({
        id,
        object: "chat.completion.chunk",
        created,
        model: request.model,
        choices: [{ index: 0, delta, finish_reason: finishReason }],
        ...extra,
      })}\n\n`,
    );
  if (calls) chunk({ role: "assistant", content: null, tool_calls: calls }, null);
  else chunk({ role: "assistant", content: "text" in reply ? reply.text : "" }, null);
  chunk({}, finish, { usage });
  res.write("data: [DONE]\n\n");
  res.end();
};

export const startMockModel = async (script: Script = () => ({ text: "ok" })): Promise<MockModel> => {
  let current = script;
  const requests: ChatRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? "").split("?")[0];
      if (req.method === "GET" && path === "/v1/models") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ object: "list", data: [{ id: MOCK_MODEL_ID, object: "model", owned_by: "test" }] }));
        return;
      }
      if (req.method !== "POST" || path !== "/v1/chat/completions") {
        res.writeHead(404).end();
        return;
      }
      const request = JSON.parse(await readBody(req)) as ChatRequest;
      requests.push(request);
      let reply: ModelReply;
      try {
        reply = current(request);
      } catch (error) {
        reply = { text: `mock script failed: ${error instanceof Error ? error.message : String(error)}` };
      }
      respond(res, request, reply);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    setScript(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/**
 * The gateway configuration that makes every agent use the mock model, with the OpenAI-compatible chat endpoint
 * on (for `agentTurn`). Pass it as `extraConfig` to `startGateway` (it deep-merges).
 */
export const mockModelConfig = (model: MockModel, options: { toolSearch?: boolean } = {}): Record<string, unknown> => ({
  // Tool Search (on by default) offers plugin tools such as install_package only through the `tool_call`
  // meta-tool; `toolSearch: false` offers every tool by name.
  ...(options.toolSearch === false ? { tools: { toolSearch: false } } : {}),
  models: {
    mode: "merge",
    providers: {
      [MOCK_PROVIDER]: {
        baseUrl: model.baseUrl,
        apiKey: "mock-key",
        api: "openai-completions",
        models: [
          {
            id: MOCK_MODEL_ID,
            name: "Mock model",
            reasoning: false,
            input: ["text"],
            cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
            contextWindow: 128_000,
            maxTokens: 4096,
          },
        ],
      },
    },
  },
  agents: { defaults: { model: { primary: `${MOCK_PROVIDER}/${MOCK_MODEL_ID}` } } },
  gateway: { http: { endpoints: { chatCompletions: { enabled: true } } } },
});

export type TurnOutcome = { status: number; text: string; body: unknown };

/**
 * One agent turn through the gateway's `/v1/chat/completions` (a real agent run: exec and the other agent tools
 * are offered there, unlike `/tools/invoke`). Returns the assistant's final text.
 */
export const agentTurn = async (
  gateway: { url: string; token: string },
  agentId: string,
  message: string,
  timeoutMs = 240_000,
): Promise<TurnOutcome> => {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${gateway.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: `openclaw/${agentId}`, messages: [{ role: "user", content: message }] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const raw = await response.text();
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    /* not JSON: keep the text */
  }
  const text =
    (body as { choices?: { message?: { content?: string } }[] } | undefined)?.choices?.[0]?.message?.content ?? raw;
  return { status: response.status, text, body };
};
