import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type PackageGuardConfig } from "../../../src/config.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";
import { ToolError } from "../../../src/surfaces/tools.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { TOOLS } from "../../helpers/tool-paths.js";

/*
 * The red team's case: index.url carries `user:token@` (and an OSV mirror a token in its query). Real uv fails
 * against it; the token must appear in no error an agent or RPC client gets, no audit byte, and not in doctor.
 */
const TOKEN = "pypi-AgEIcHlwaS5vcmc-s3cr3t-T0ken-0123456789";
let dir: string;
let config: PackageGuardConfig;
let service: Services;

/** A loopback port with nothing listening: uv's requests fail and it quotes the URL it tried. */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-secrets-"));
  const port = await closedPort();
  config = parseConfig(
    {
      agents: { ops: "intern" },
      whitelist: { tiers: { intern: [{ package: "pyyaml", version: ">=6,<7" }] } },
      python: { uv: TOOLS.uv, python: TOOLS.python, installer: "uv", installTimeoutMs: 60_000 },
      index: { url: `http://alice:${TOKEN}@127.0.0.1:${port}/simple?token=${TOKEN}` },
      scan: { scanner: "osv-db", osvDbDir: join(REPO_ROOT, "test", "fixtures", "pypa-advisories") },
    },
    join(dir, "state"),
  );
  service = await openServices(config);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("index credentials never leak", () => {
  it("not in the error an agent gets, not in RPC details, not in any audit byte, not in doctor", async () => {
    const error = await service.packages
      .install({ package: "pyyaml>=6,<7", skill: "s" }, { source: "tool", agentId: "ops" })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INSTALL_FAILED" });
    const shown = JSON.stringify({
      tool: new ToolError(error as never).message,
      rpc: (error as never as { toJSON(): unknown }).toJSON(),
    });
    expect(shown).toContain("127.0.0.1");
    expect(shown).not.toContain(TOKEN);
    const log = await readFile(config.audit.file, "utf8");
    expect(log).toContain('"status":"failed"');
    expect(log).not.toContain(TOKEN);
    expect(JSON.stringify(await service.operator.doctor())).not.toContain(TOKEN);
  });
});
