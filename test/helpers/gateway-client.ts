import { randomUUID } from "node:crypto";
import { WebSocket } from "ws";

export type GatewayError = { code: string; message: string; details?: Record<string, unknown>; retryable?: boolean };
export type CallOutcome<T = unknown> = { ok: true; payload: T } | { ok: false; error: GatewayError };

type Frame = { type: string; id?: string; ok?: boolean; payload?: unknown; error?: GatewayError; event?: string };

/**
 * A raw operator client speaking the gateway's WebSocket protocol (docs/gateway/protocol/handshake.md),
 * so a test can connect with exactly the scopes it wants and see what a real client sees.
 */
export class GatewayClient {
  private readonly pending = new Map<string, (frame: Frame) => void>();
  granted: string[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(data)) as Frame;
      } catch {
        return;
      }
      if (frame.type === "res" && frame.id) {
        const done = this.pending.get(frame.id);
        this.pending.delete(frame.id);
        done?.(frame);
      }
    });
  }

  static async connect(url: string, token: string, scopes: string[], timeoutMs = 20_000): Promise<GatewayClient> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await GatewayClient.tryConnect(url, token, scopes, Math.max(1_000, deadline - Date.now()));
      } catch (error) {
        // The gateway may answer UNAVAILABLE (startup-sidecars) just after /health turns green.
        if (Date.now() > deadline || attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private static async tryConnect(
    url: string,
    token: string,
    scopes: string[],
    timeoutMs: number,
  ): Promise<GatewayClient> {
    const socket = new WebSocket(url);
    const client = new GatewayClient(socket);
    const challenge = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no connect.challenge from the gateway")), timeoutMs);
      socket.on("message", (data) => {
        const frame = JSON.parse(String(data)) as Frame;
        if (frame.type === "event" && frame.event === "connect.challenge") {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on("close", () => reject(new Error("socket closed before the challenge")));
    });
    await challenge;
    const hello = await client.call<{ auth?: { scopes?: string[] } }>(
      "connect",
      {
        minProtocol: 4,
        maxProtocol: 4,
        client: { id: "gateway-client", version: "0.0.0-test", platform: "linux", mode: "backend" },
        role: "operator",
        scopes,
        caps: [],
        commands: [],
        permissions: {},
        auth: { token },
        locale: "en-US",
        userAgent: "package-guard-tests",
      },
      timeoutMs,
    );
    if (!hello.ok) {
      socket.close();
      throw new Error(`connect refused: ${hello.error.code} ${hello.error.message}`);
    }
    client.granted = hello.payload.auth?.scopes ?? [];
    return client;
  }

  call<T = unknown>(
    method: string,
    params: Record<string, unknown> = {},
    timeoutMs = 240_000,
  ): Promise<CallOutcome<T>> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (frame) => {
        clearTimeout(timer);
        resolve(
          frame.ok
            ? { ok: true, payload: frame.payload as T }
            : { ok: false, error: frame.error ?? { code: "UNKNOWN", message: "no error" } },
        );
      });
      this.socket.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}
