import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { PackageGuardError } from "../../../src/errors.js";
import type { Services } from "../../../src/service/services.js";
import { buildCommands } from "../../../src/surfaces/cli/index.js";

// ESC and CSI (C0 and C1), NEL, and a bidi override: each could rewrite or hide what an operator reads.
const HOSTILE = "evil\u001b[2J\u009b31m\u0085\u009d0;title\u0007\u202egnp.exe";
// oxlint-disable-next-line no-control-regex -- what must never be printed
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const record = {
  id: "r1",
  ts: "2026-01-01T00:00:00.000Z",
  seq: 1,
  prev: null,
  hash: "h",
  source: "tool",
  status: "blocked",
  agentId: HOSTILE,
  requested: HOSTILE,
  reason: `denied ${HOSTILE}`,
  details: { nested: HOSTILE },
};

const fakeServices = {
  operator: {
    installations: async () => [record],
    approvalsList: async () => {
      throw new PackageGuardError("NOT_FOUND", `no approval ${HOSTILE}`);
    },
  },
} as unknown as Services;

const runCli = async (...argv: string[]): Promise<{ stdout: string; stderr: string }> => {
  let stdout = "";
  let stderr = "";
  const program = new Command("package-guard").exitOverride();
  buildCommands(program, {
    openService: async () => fakeServices,
    loadConfig: async () => parseConfig({}, "/tmp/pg-cli-terminal"),
    output: { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) },
  });
  await program.parseAsync(["node", "package-guard", ...argv]);
  process.exitCode = undefined;
  return { stdout, stderr };
};

describe("no control character reaches the operator's terminal", () => {
  it("audit query (table): C0, C1 and bidi controls from a record are escaped", async () => {
    const { stdout } = await runCli("audit", "query");
    expect(stdout).toContain("evil");
    expect(stdout).not.toMatch(UNSAFE);
  });

  it("audit query --json: escaped too, and the JSON still parses back to the exact record", async () => {
    const { stdout } = await runCli("audit", "query", "--json");
    expect(stdout).not.toMatch(UNSAFE);
    expect(JSON.parse(stdout)).toEqual([record]);
  });

  it("an error message quoting hostile text, human and --json", async () => {
    const human = await runCli("approvals", "list");
    expect(human.stderr).toContain("NOT_FOUND");
    expect(human.stderr).not.toMatch(UNSAFE);
    const json = await runCli("approvals", "list", "--json");
    expect(json.stdout).not.toMatch(UNSAFE);
    expect(JSON.parse(json.stdout)).toMatchObject({ code: "NOT_FOUND", message: `no approval ${HOSTILE}` });
  });
});
