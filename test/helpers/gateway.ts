import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { GatewayClient } from "./gateway-client.js";
import { REPO_ROOT } from "./repo-root.js";

export { REPO_ROOT };
const OPENCLAW_ENTRY = join(REPO_ROOT, "node_modules", "openclaw", "openclaw.mjs");

export type GatewayOptions = {
  /** plugins.entries.package-guard.config */
  pluginConfig?: Record<string, unknown>;
  /** Agents the gateway knows (agents.list), so tools can be invoked as each of them. */
  agents?: string[];
  /** Extra config deep-merged into the generated one (e.g. security.installPolicy, mockModelConfig(model)). */
  extraConfig?: Record<string, unknown>;
  startTimeoutMs?: number;
  /** Directory for the throwaway HOME and state dir (default: a fresh temp dir, removed on stop). */
  workDir?: string;
};

export type ToolOutcome = {
  status: number;
  body: {
    ok: boolean;
    result?: { content: { type: string; text: string }[]; details: unknown };
    error?: { type?: string; message: string };
  };
};

export type Gateway = {
  port: number;
  token: string;
  url: string;
  wsUrl: string;
  stateDir: string;
  logFile: string;
  invokeTool(tool: string, args: Record<string, unknown>, opts?: { agentId?: string }): Promise<ToolOutcome>;
  /** A raw WS operator client; `caps` as the connect frame declares them (e.g. plugin-approvals, inline-widgets). */
  connect(scopes: string[], options?: { caps?: string[] }): Promise<GatewayClient>;
  log(): Promise<string>;
  stop(): Promise<void>;
  /** SIGKILL the gateway and everything it started (a crash); the work dir stays for a restart. */
  crash(): Promise<void>;
};

let packed: Promise<string> | undefined;

/**
 * The plugin as it ships: `npm pack` of the built checkout, unpacked once per test process, with the checkout's
 * node_modules for its runtime dependencies. Loading the checkout itself would put OpenClaw's own bundled plugins
 * (node_modules/openclaw) inside ours, which breaks `plugins.allow`; the package lets the gateway load only
 * package-guard, which is what users install and about 12 s faster to start.
 */
const packedPlugin = (): Promise<string> =>
  (packed ??= (async () => {
    // Outlives the test file that first needs it (removed at process exit): the shared temp folder, not its TMPDIR.
    const dir = await mkdtemp(join(process.env.PG_TEST_SHARED_TMPDIR ?? tmpdir(), "pg-packed-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const run = promisify(execFile);
    const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], {
      cwd: REPO_ROOT,
      timeout: 120_000,
    });
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
    await run("tar", ["-xzf", join(dir, filename), "-C", dir], { timeout: 60_000 });
    const root = join(dir, "package");
    await symlink(join(REPO_ROOT, "node_modules"), join(root, "node_modules"), "dir");
    return root;
  })());

// The gateway must not see it runs under a test runner: OpenClaw changes its start-up under VITEST/NODE_ENV=test
// (it never reaches "ready"), and FORCE_COLOR would colour its log lines.
const hostEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  Object.fromEntries(
    Object.entries(env).filter(([k]) => !/^(VITEST|TINYPOOL)|^(NODE_ENV|TEST|FORCE_COLOR|NODE_OPTIONS)$/.test(k)),
  );

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Objects merge key by key; anything else in `extra` replaces what `base` had. */
const deepMerge = (base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
};

const freePort = (): Promise<number> =>
  new Promise((res, rej) => {
    const server = createServer();
    server.once("error", rej);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? res(address.port) : rej(new Error("no port"))));
    });
  });

const exited = (child: ChildProcess): Promise<void> =>
  new Promise((res) =>
    child.exitCode !== null || child.signalCode !== null ? res() : child.once("exit", () => res()),
  );

const killGroup = async (child: ChildProcess): Promise<void> => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      /* already gone */
    }
  }, 10_000);
  await exited(child);
  clearTimeout(timer);
};

/**
 * Starts one real OpenClaw gateway on 127.0.0.1 with the plugin loaded from this repository's built
 * package (plugins.load.paths -> package.json openclaw.extensions -> dist/index.js) and a throwaway state dir.
 */
export const startGateway = async (options: GatewayOptions = {}): Promise<Gateway> => {
  const ownDir = options.workDir === undefined;
  const root = options.workDir ?? (await mkdtemp(join(tmpdir(), "pg-gateway-")));
  const home = join(root, "home");
  const stateDir = join(root, "state");
  // One log per start: a restart on the same work dir must not see the previous run's "ready" line.
  const logFile = join(root, `gateway-${Date.now()}.log`);
  await mkdir(home, { recursive: true });
  await mkdir(stateDir, { recursive: true });
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const config = deepMerge(
    {
      gateway: { mode: "local", bind: "loopback", port, auth: { mode: "token", token } },
      logging: { file: logFile },
      ...(options.agents ? { agents: { entries: Object.fromEntries(options.agents.map((id) => [id, {}])) } } : {}),
      plugins: {
        load: { paths: [await packedPlugin()] },
        allow: ["package-guard"],
        entries: { "package-guard": { enabled: true, config: options.pluginConfig ?? {} } },
      },
    },
    options.extraConfig ?? {},
  );
  await writeFile(join(stateDir, "openclaw.json"), JSON.stringify(config, null, 2));

  const stdout: string[] = [];
  const child = spawn(
    process.execPath,
    [
      OPENCLAW_ENTRY,
      "gateway",
      "run",
      "--port",
      String(port),
      "--bind",
      "loopback",
      "--auth",
      "token",
      "--token",
      token,
    ],
    {
      cwd: root,
      detached: true, // its own process group, so stop() takes the workers down too
      env: {
        ...hostEnv(process.env),
        HOME: home,
        OPENCLAW_STATE_DIR: stateDir,
        OPENCLAW_CONFIG_PATH: join(stateDir, "openclaw.json"),
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const keep = (chunk: Buffer) => {
    stdout.push(chunk.toString());
    if (stdout.length > 2_000) stdout.splice(0, 1_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`gateway exited with ${child.exitCode}:\n${stdout.join("").slice(-4_000)}`);
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await killGroup(child);
      throw new Error(`gateway did not become healthy in time:\n${stdout.join("").slice(-4_000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }

  // /health answers while "channels and sidecars" still start (~30 s here), and WS handshakes time out until
  // then: wait for the gateway's own "ready" line.
  for (;;) {
    // eslint-disable-next-line no-control-regex
    const log = ((await readFile(logFile, "utf8").catch(() => "")) + stdout.join("")).replace(/\x1b\[[0-9;]*m/g, "");
    if (/\[gateway\] ready\b|"message":"(?:gateway )?ready"/.test(log)) break;
    if (child.exitCode !== null)
      throw new Error(`gateway exited with ${child.exitCode}:\n${stdout.join("").slice(-4_000)}`);
    if (Date.now() > deadline) {
      await killGroup(child);
      throw new Error(`gateway did not log "ready" in time:\n${stdout.join("").slice(-4_000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }

  const clients: GatewayClient[] = [];
  return {
    port,
    token,
    url,
    wsUrl: `ws://127.0.0.1:${port}`,
    stateDir,
    logFile,
    async invokeTool(tool, args, opts = {}) {
      const response = await fetch(`${url}/tools/invoke`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ tool, args, ...(opts.agentId ? { agentId: opts.agentId } : {}) }),
        signal: AbortSignal.timeout(240_000),
      });
      return { status: response.status, body: (await response.json()) as ToolOutcome["body"] };
    },
    async connect(scopes, connectOptions = {}) {
      const client = await GatewayClient.connect(`ws://127.0.0.1:${port}`, token, scopes, connectOptions);
      clients.push(client);
      return client;
    },
    async log() {
      const file = await readFile(logFile, "utf8").catch(() => "");
      return `${file}\n${stdout.join("")}`;
    },
    async crash() {
      for (const c of clients) c.close();
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
        await exited(child);
      }
    },
    async stop() {
      for (const c of clients) c.close();
      await killGroup(child);
      if (ownDir) await rm(root, { recursive: true, force: true });
    },
  };
};

/**
 * The environment for an `openclaw` CLI process that acts on a gateway's state (same HOME and state dir; the
 * gateway's config unless `configPath` names another), e.g. `openclaw skills install <dir>` next to a running gateway.
 */
export const openclawCliEnv = (
  stateDir: string,
  configPath: string = join(stateDir, "openclaw.json"),
): NodeJS.ProcessEnv => ({
  ...hostEnv(process.env),
  HOME: join(dirname(stateDir), "home"),
  OPENCLAW_STATE_DIR: stateDir,
  OPENCLAW_CONFIG_PATH: configPath,
  NO_COLOR: "1",
});
