import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../../src/audit/log.js";
import { WidgetGate } from "../../../src/service/widget-gate.js";
import { tempDir } from "../audit/helpers.js";
import { auditRecords, FakeFiles, FakePolicy, finding } from "./fake-widget-deps.js";

const D3 = "https://cdn.jsdelivr.net/npm/d3@7.9.0/dist/d3.min.js";
const D3_JS = "window.d3 = {select(){}};\n";
// openssl dgst -sha384 -binary <<< the file above | base64: computed outside the code under test.
const D3_SRI = "sha384-xlzkjnP9CCFM5ae5UPY0IzhuMBknKkJLdFMmUcOkJa1jQK9R6dADVSUrrXipvwWM";

let policy: FakePolicy;
let files: FakeFiles;
let audit: AuditLog;
let gate: WidgetGate;

const open = (options = { esmSh: false, fonts: true }): WidgetGate =>
  new WidgetGate({
    options,
    policy,
    files,
    audit,
    maturityOf: (agentId) => (agentId === "research" ? "autonomous" : "student"),
  });

beforeEach(async () => {
  policy = new FakePolicy();
  policy.allowed.set("d3@7.9.0", ["student", "autonomous"]);
  policy.allowed.set("leaflet@1.9.4", ["autonomous"]);
  policy.allowed.set("preact@10.19.3", ["student"]);
  files = new FakeFiles();
  files.packages.set("d3@7.9.0", { "dist/d3.min.js": D3_JS, "package.json": "{}" });
  files.packages.set("preact@10.19.3", { "dist/preact.module.js": 'import "./hooks.js"; export const h = 1;' });
  audit = await AuditLog.open(join(await tempDir(), "audit.jsonl"));
  gate = open();
});

describe("WidgetGate.review", () => {
  it("lets a whitelisted, scanned, pinned library through with the SRI of its file and crossorigin", async () => {
    const tag = `<script src="${D3}" integrity="sha384-wrong" crossorigin="use-credentials"></script>`;
    const code = `<div id="c"></div>\n${tag}`;
    const d = await gate.review({ widgetCode: `  ${code}\n`, agentId: "main", sessionKey: "s", toolCallId: "t1" });
    expect(d).toMatchObject({ allowed: true, changed: true });
    if (!d.allowed) return;
    expect(d.widgetCode).toBe(
      `<div id="c"></div>\n<script src="${D3}" integrity="${D3_SRI}" crossorigin="anonymous"></script>`,
    );
    const [record] = await auditRecords(audit.file);
    expect(record).toMatchObject({
      source: "widget",
      status: "vetted",
      package: "d3",
      version: "7.9.0",
      agentId: "main",
      maturity: "student",
      client: "show_widget:t1",
      details: { ecosystem: "npm", purl: "pkg:npm/d3@7.9.0", widget: "allowed" },
    });
    expect(record!.details!.files).toEqual([{ url: D3, path: "dist/d3.min.js", integrity: D3_SRI }]);
  });

  it("refuses a tag, an unlisted library and a library above the agent's maturity, each audited", async () => {
    const d = await gate.review({
      widgetCode:
        `<script src="https://cdn.jsdelivr.net/npm/d3@latest/dist/d3.min.js"></script>` +
        `<script src="https://unpkg.com/left-pad@1.3.0/index.js"></script>` +
        `<link rel="stylesheet" href="https://unpkg.com/leaflet@1.9.4/dist/leaflet.css">`,
      agentId: "main",
    });
    expect(d.allowed).toBe(false);
    if (d.allowed) return;
    expect(d.reason).toContain("d3@latest is not an exact version");
    expect(d.reason).toContain("[NOT_WHITELISTED] left-pad is not on the whitelist");
    expect(d.reason).toContain("[NOT_WHITELISTED] leaflet is not approved for student");
    const records = await auditRecords(audit.file);
    expect(records.map((r) => [r.package, r.status, r.code])).toEqual([
      ["left-pad", "blocked", "NOT_WHITELISTED"],
      ["leaflet", "blocked", "NOT_WHITELISTED"],
      ["d3", "blocked", "INVALID_REQUIREMENT"],
    ]);
    expect(files.calls).toEqual([]);
  });

  it("refuses a malicious (MAL-) version as MALICIOUS and a vulnerable one as VULNERABLE", async () => {
    policy.findings.set("d3@7.9.0", [finding("GHSA-xxxx", "d3", "7.9.0", ["MAL-2026-1"])]);
    const mal = await gate.review({ widgetCode: `<script src="${D3}"></script>` });
    expect(mal).toMatchObject({ allowed: false, code: "MALICIOUS" });
    policy.findings.set("d3@7.9.0", [finding("GHSA-yyyy", "d3", "7.9.0")]);
    const vuln = await gate.review({ widgetCode: `<script src="${D3}"></script>` });
    expect(vuln).toMatchObject({ allowed: false, code: "VULNERABLE" });
    const records = await auditRecords(audit.file);
    expect(records.map((r) => r.code)).toEqual(["MALICIOUS", "VULNERABLE"]);
  });

  it("fails closed when the scanner is down or the registry has no such release or file", async () => {
    policy.scannerDown = true;
    expect(await gate.review({ widgetCode: `<script src="${D3}"></script>` })).toMatchObject({
      allowed: false,
      code: "SCANNER_UNAVAILABLE",
    });
    policy.scannerDown = false;
    policy.allowed.set("d3@7.8.5", ["student"]);
    expect(
      await gate.review({ widgetCode: `<script src="https://cdn.jsdelivr.net/npm/d3@7.8.5/dist/d3.min.js"></script>` }),
    ).toMatchObject({ allowed: false, code: "NOT_FOUND" });
    const missing = await gate.review({
      widgetCode: `<script src="https://cdn.jsdelivr.net/npm/d3@7.9.0/dist/d3.js"></script>`,
    });
    expect(missing).toMatchObject({
      allowed: false,
      code: "INVALID_REQUIREMENT",
      reason: expect.stringContaining("has no file 'dist/d3.js'"),
    });
  });

  it("refuses a module whose file imports more modules, which its integrity would not cover", async () => {
    const d = await gate.review({
      widgetCode: `<script type="module" src="https://unpkg.com/preact@10.19.3/dist/preact.module.js"></script>`,
    });
    expect(d).toMatchObject({ allowed: false, reason: expect.stringContaining("it imports ./hooks.js") });
  });

  it("is idempotent: the rewritten widget passes again unchanged", async () => {
    const first = await gate.review({
      widgetCode: `<script src='//cdn.jsdelivr.net/npm/d3@7.9.0/dist/d3.min.js' defer></script><p>x</p>`,
    });
    expect(first).toMatchObject({ allowed: true, changed: true });
    const code = first.allowed ? first.widgetCode : "";
    expect(await gate.review({ widgetCode: code })).toMatchObject({ allowed: true, widgetCode: code });
  });

  it("decides a second widget with the same library from its caches: no second fetch", async () => {
    await gate.review({ widgetCode: `<script src="${D3}"></script>` });
    const again = await gate.review({ widgetCode: `<p>x</p><script src="${D3}" async></script>` });
    expect(again).toMatchObject({ allowed: true });
    expect(files.calls).toEqual(["d3@7.9.0"]);
  });

  it("refuses fetch access to a CDN origin for a pinned widget", async () => {
    const d = await gate.review({
      widgetCode: "<p>x</p>",
      capabilities: { netOrigins: ["https://api.example.com", "https://unpkg.com"] },
    });
    expect(d).toMatchObject({
      allowed: false,
      code: "NOT_WHITELISTED",
      reason: expect.stringContaining("fetch access to unpkg.com"),
    });
  });

  it("audits a refusal that names no package once, and a widget without libraries as allowed", async () => {
    expect(await gate.review({ widgetCode: "<script>import(location.hash)</script>", agentId: "a" })).toMatchObject({
      allowed: false,
    });
    expect(await gate.review({ widgetCode: "<p>plain</p>" })).toMatchObject({ allowed: true, changed: false });
    const records = await auditRecords(audit.file);
    expect(records.map((r) => [r.status, r.package, r.code])).toEqual([
      ["blocked", null, "INVALID_REQUIREMENT"],
      ["vetted", null, null],
    ]);
    expect(records[0]!.reason).toContain("import() of a URL that is not a string literal");
  });

  it("esm.sh when enabled: policy-checked, no integrity, URL rewritten to the checked form", async () => {
    gate = open({ esmSh: true, fonts: true });
    const d = await gate.review({ widgetCode: `<script type="module" src="https://ESM.SH/preact@10.19.3"></script>` });
    expect(d).toMatchObject({
      allowed: true,
      widgetCode: `<script type="module" src="https://esm.sh/preact@10.19.3"></script>`,
    });
    expect(files.calls).toEqual([]);
    expect(policy.scans).toEqual(["preact@10.19.3"]);
  });
});

describe("WidgetGate.review on markup it cannot read", () => {
  it("refuses, and audits, widget_code over OpenClaw's limit or nested too deep to walk", async () => {
    const long = await gate.review({ widgetCode: `<p>${"x".repeat(262_144)}</p>` });
    expect(long).toMatchObject({ allowed: false, reason: expect.stringContaining("longer than 262144 characters") });
    const deep = await gate.review({ widgetCode: "<div>".repeat(50_000) });
    expect(deep).toMatchObject({ allowed: false, reason: expect.stringContaining("cannot be analysed") });
    const records = await auditRecords(audit.file);
    expect(records.map((r) => [r.status, r.code])).toEqual([
      ["blocked", "INVALID_REQUIREMENT"],
      ["blocked", "INVALID_REQUIREMENT"],
    ]);
  });
});
