import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuditInput } from "../../../src/audit/log.js";
import {
  canonicalJson,
  hashRecord,
  MAX_DETAILS_BYTES,
  MAX_REASON_CHARS,
  normalizeInput,
  sealRecord,
} from "../../../src/audit/record.js";

const KEYS = [
  "source",
  "status",
  "agentId",
  "sessionKey",
  "client",
  "maturity",
  "requested",
  "skillId",
  "ecosystem",
  "package",
  "version",
  "code",
  "requestedSha256",
  "reason",
  "vulnerabilitiesFound",
  "vulnerabilities",
  "durationMs",
  "details",
];

describe("normalizeInput", () => {
  it("gives every record the same keys, missing ones as null / 0 / []", () => {
    const body = normalizeInput({ source: "rpc", status: "blocked", agentId: undefined, client: null });
    expect(Object.keys(body)).toEqual(KEYS);
    expect(body).toMatchObject({
      agentId: null,
      client: null,
      package: null,
      reason: null,
      vulnerabilitiesFound: 0,
      vulnerabilities: [],
      durationMs: null,
      details: null,
    });
  });

  it("keeps the fields it was given", () => {
    const input: AuditInput = {
      source: "tool",
      status: "blocked",
      agentId: "main",
      package: "requests",
      code: "VULNERABLE",
      vulnerabilitiesFound: 2,
      vulnerabilities: ["A", "B"],
      durationMs: 12,
      details: { n: 1 },
    };
    expect(normalizeInput(input)).toMatchObject({
      agentId: "main",
      package: "requests",
      code: "VULNERABLE",
      vulnerabilitiesFound: 2,
      vulnerabilities: ["A", "B"],
      durationMs: 12,
      details: { n: 1 },
    });
  });

  it("caps reason at 2000 characters", () => {
    expect(normalizeInput({ source: "cli", status: "failed", reason: "x".repeat(10_000) }).reason).toHaveLength(
      MAX_REASON_CHARS,
    );
  });

  it("does not split a surrogate pair when cutting", () => {
    const reason = `${"x".repeat(MAX_REASON_CHARS - 1)}😀`;
    const cut = normalizeInput({ source: "cli", status: "failed", reason }).reason!;
    expect(cut).toBe("x".repeat(MAX_REASON_CHARS - 1));
  });

  it("keeps a 2,000-pin dependency list whole: what we computed is not capped away", () => {
    const dependencies = Array.from({ length: 2000 }, (_, i) => ({ name: `package-number-${i}`, version: `1.${i}.0` }));
    const details = normalizeInput({ source: "tool", status: "completed", details: { dependencies } }).details!;
    expect(details.dependencies).toHaveLength(2000);
    expect((details.dependencies as { name: string }[])[1999]).toEqual({
      name: "package-number-1999",
      version: "1.1999.0",
    });
  });

  it("cuts one long string to an excerpt naming its length and SHA-256, keeping the rest of the details", () => {
    const blob = "y".repeat(MAX_DETAILS_BYTES);
    const details = normalizeInput({ source: "cli", status: "failed", details: { blob, keep: 1 } }).details!;
    const sha = createHash("sha256").update(blob).digest("hex");
    expect(details.keep).toBe(1);
    expect(details.blob).toBe(`${"y".repeat(4096)}…[${blob.length} chars, sha256 ${sha}]`);
  });

  it("stores a bounded excerpt of what the agent sent, with the SHA-256 of all of it", () => {
    const requested = `pandas${"x".repeat(5000)}`;
    const body = normalizeInput({ source: "tool", status: "blocked", requested });
    expect(body.requested).toBe(requested.slice(0, 256));
    expect(body.requestedSha256).toBe(createHash("sha256").update(requested).digest("hex"));
  });

  it("still makes a record of a request nested 100,000 levels deep, or whose toString is not a function", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const body = normalizeInput({ source: "tool", status: "blocked", requested: deep, details: { deep } });
    expect(body.requested).toBe('[[[["[nested deeper than 16 levels]"]]]]');
    expect(JSON.stringify(body.details)).toContain("nested deeper than 16 levels");
    const odd = { toString: "not a function", valueOf: 1 };
    expect(normalizeInput({ source: "tool", status: "blocked", requested: odd }).requested).toBe(
      '{"toString":"not a function","valueOf":1}',
    );
  });

  it("stores details as their JSON form, so what is hashed is what a reader parses back", () => {
    const details = { at: new Date("2026-01-01T00:00:00Z"), gone: undefined, big: 10n, nested: { a: [1, undefined] } };
    expect(normalizeInput({ source: "cli", status: "failed", details }).details).toEqual({
      at: "2026-01-01T00:00:00.000Z",
      big: "10",
      nested: { a: [1, null] },
    });
  });

  it("records a cyclic details object instead of failing the append, marking the cycle", () => {
    const loop: Record<string, unknown> = { n: 1 };
    loop.self = loop;
    expect(normalizeInput({ source: "cli", status: "failed", details: loop }).details).toEqual({
      n: 1,
      self: "[circular]",
    });
  });

  it("rejects an unknown source or status", () => {
    expect(() => normalizeInput({ source: "web" as never, status: "completed" })).toThrow(TypeError);
    expect(() => normalizeInput({ source: "tool", status: "done" as never })).toThrow(TypeError);
  });
});

describe("hashing", () => {
  it("canonical JSON sorts keys at every depth", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });

  it("the hash does not depend on key order but does on every value, including prev", () => {
    const record = sealRecord(
      normalizeInput({ source: "tool", status: "completed", package: "numpy" }),
      { seq: 4, hash: "abc" },
      "2026-01-01T00:00:00.000Z",
    );
    expect(record).toMatchObject({ seq: 5, prev: "abc" });
    const reversed = Object.fromEntries(Object.entries(record).toReversed());
    expect(hashRecord(reversed)).toBe(record.hash);
    expect(hashRecord({ ...record, package: "numpy2" })).not.toBe(record.hash);
    expect(hashRecord({ ...record, prev: "abd" })).not.toBe(record.hash);
  });

  it("the first record ever has seq 1 and prev null", () => {
    const first = sealRecord(
      normalizeInput({ source: "system", status: "recovered" }),
      null,
      "2026-01-01T00:00:00.000Z",
    );
    expect(first).toMatchObject({ seq: 1, prev: null });
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
