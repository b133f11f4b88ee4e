import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decideInstallPolicy,
  MAX_REQUEST_BYTES,
  readBounded,
  runInstallPolicy,
} from "../../../src/surfaces/install-policy.js";
import { fakeVetter } from "../skills/fake-vetter.js";

let root: string;
let good: string;
let bad: string;

const request = (over: Record<string, unknown> = {}) => ({
  protocolVersion: 1,
  openclawVersion: "2026.9.6",
  targetType: "skill",
  targetName: "weather",
  sourcePath: good,
  sourcePathKind: "directory",
  source: { kind: "local-path", authority: "user", mutable: true, network: false },
  origin: { type: "local-path" },
  request: { kind: "skill-install", mode: "install", requestedSpecifier: "/tmp/weather" },
  ...over,
});

const run = async (stdin: string | Buffer[], vetter = fakeVetter({ deny: { requests: "NOT_WHITELISTED" } })) => {
  const out: string[] = [];
  const code = await runInstallPolicy({
    stdin: Readable.from(typeof stdin === "string" ? [stdin] : stdin),
    stdout: (t) => out.push(t),
    openService: async () => vetter,
  });
  return {
    code,
    out,
    response: JSON.parse(out.join("")) as {
      protocolVersion: number;
      decision: string;
      reason?: string;
      findings?: { ruleId: string }[];
    },
  };
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pg-policy-"));
  good = join(root, "good");
  bad = join(root, "bad");
  await mkdir(good);
  await mkdir(bad);
  await writeFile(join(good, "SKILL.md"), "---\nname: weather\ndependencies:\n  python:\n    - package: pyyaml\n---\n");
  await writeFile(
    join(bad, "SKILL.md"),
    "---\nname: weather\ndependencies:\n  python:\n    - package: requests\n---\n",
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("package-guard install-policy (security.installPolicy, protocol 1)", () => {
  it("allows a skill whose dependencies pass, and prints exactly one JSON line, exit 0", async () => {
    const { code, out, response } = await run(JSON.stringify(request()));
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]!.endsWith("\n")).toBe(true);
    expect(response).toEqual({ protocolVersion: 1, decision: "allow" });
  });

  it("blocks a skill with a denied dependency, with a reason and findings", async () => {
    const { code, response } = await run(JSON.stringify(request({ sourcePath: bad })));
    expect(code).toBe(0);
    expect(response.decision).toBe("block");
    expect(response.reason).toContain("requests: [NOT_WHITELISTED]");
    expect(response.findings?.map((f) => f.ruleId)).toEqual(["package-guard.not-whitelisted"]);
  });

  it("warns (with a reason, as OpenClaw requires) when a dependency waits for approval", async () => {
    const { response } = await run(JSON.stringify(request()), fakeVetter({ approve: ["pyyaml"] }));
    expect(response.decision).toBe("warn");
    expect(response.reason).toContain("apr_pyyaml");
  });

  it("vets a uv dependency installer's package, and allows other installer kinds and plugin targets", async () => {
    const uv = await run(
      JSON.stringify(
        request({ skill: { installId: "uv", installSpec: { id: "uv", kind: "uv", package: "requests" } } }),
      ),
    );
    expect(uv.response).toMatchObject({ decision: "block" });
    expect(uv.response.reason).toContain("requests");
    const brew = await run(
      JSON.stringify(
        request({ sourcePath: bad, skill: { installId: "brew", installSpec: { kind: "brew", formula: "jq" } } }),
      ),
    );
    expect(brew.response).toEqual({ protocolVersion: 1, decision: "allow" });
    const plugin = await run(JSON.stringify(request({ targetType: "plugin", sourcePath: bad })));
    expect(plugin.response).toEqual({ protocolVersion: 1, decision: "allow" });
  });

  it("blocks anything malformed, with a reason saying what", async () => {
    const cases: [string, string][] = [
      ["not json", "not one JSON object"],
      ["[1,2]", "not a JSON object"],
      [JSON.stringify(request({ protocolVersion: 2 })), "unsupported protocolVersion 2"],
      [JSON.stringify({ ...request(), protocolVersion: undefined }), "unsupported protocolVersion (missing)"],
      [JSON.stringify(request({ targetType: "theme" })), "unknown targetType"],
      [JSON.stringify(request({ targetName: "" })), "targetName"],
      [JSON.stringify(request({ sourcePath: "relative/path" })), "absolute"],
      [JSON.stringify(request({ sourcePathKind: "socket" })), "sourcePathKind"],
      [JSON.stringify(request({ skill: "uv" })), "skill must be an object"],
      [JSON.stringify(request({ skill: { installSpec: [] } })), "installSpec"],
      ["", "not one JSON object"],
    ];
    for (const [stdin, why] of cases) {
      const { code, response } = await run(stdin);
      expect(code, stdin).toBe(0);
      expect(response.decision, stdin).toBe("block");
      expect(response.reason, stdin).toContain(why);
    }
  });

  it("blocks an oversized request without reading it all", async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const chunks = Array.from({ length: MAX_REQUEST_BYTES / chunk.length + 2 }, () => chunk);
    const { response } = await run(chunks);
    expect(response).toMatchObject({ decision: "block" });
    expect(response.reason).toContain(`larger than ${MAX_REQUEST_BYTES} bytes`);
  });

  it("blocks when stdin is never closed", async () => {
    const never = new Readable({ read() {} });
    await expect(readBounded(never, 1024, 50)).rejects.toThrow("no complete request on stdin");
  });

  it("blocks when the service cannot be opened or vetting throws", async () => {
    const broken = await decideInstallPolicy(JSON.stringify(request()), async () => {
      throw new Error("audit log is locked");
    });
    expect(broken).toMatchObject({ decision: "block" });
    expect(broken.reason).toContain("audit log is locked");
  });
});
