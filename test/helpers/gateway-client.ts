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
  /** Every event frame received, oldest first (e.g. plugin.approval.requested). */
  readonly events: { event: string; payload: unknown }[] = [];
  private readonly eventWaiters = new Set<() => void>();

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
      } else if (frame.type === "event" && frame.event) {
        this.events.push({ event: frame.event, payload: frame.payload });
        for (const wake of this.eventWaiters) wake();
      }
    });
  }

  static async connect(
    url: string,
    token: string,
    scopes: string[],
    options: { caps?: string[]; timeoutMs?: number } = {},
  ): Promise<GatewayClient> {
    const deadline = Date.now() + (options.timeoutMs ?? 20_000);
    for (let attempt = 1; ; attempt++) {
      try {
        return await GatewayClient.tryConnect(
          url,
          token,
          scopes,
          options.caps ?? [],
          Math.max(1_000, deadline - Date.now()),
        );
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
    caps: string[],
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
        caps,
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

  /**
   * The first event named `event` (already received or still to come) that `matches` accepts. Waits on frames, not
   * on time; rejects after `timeoutMs` so a missing event fails the test instead of hanging it.
   */
  waitForEvent<T = unknown>(
    event: string,
    matches: (payload: T) => boolean = () => true,
    timeoutMs = 120_000,
  ): Promise<T> {
    const find = () => this.events.find((e) => e.event === event && matches(e.payload as T))?.payload as T | undefined;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const hit = find();
        if (hit === undefined) return;
        this.eventWaiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        this.eventWaiters.delete(check);
        reject(new Error(`no ${event} event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.eventWaiters.add(check);
      check();
    });
  }

  close(): void {
    this.socket.close();
  }
}
