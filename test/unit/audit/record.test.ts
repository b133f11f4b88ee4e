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

  it("replaces details larger than 16 KB by a marker with their size", () => {
    const details = { blob: "y".repeat(MAX_DETAILS_BYTES) };
    const bytes = Buffer.byteLength(JSON.stringify(details));
    expect(normalizeInput({ source: "cli", status: "failed", details }).details).toEqual({ truncated: true, bytes });
  });

  it("stores details as their JSON form, so what is hashed is what a reader parses back", () => {
    const details = { at: new Date("2026-01-01T00:00:00Z"), gone: undefined, big: 10n, nested: { a: [1, undefined] } };
    expect(normalizeInput({ source: "cli", status: "failed", details }).details).toEqual({
      at: "2026-01-01T00:00:00.000Z",
      big: "10",
      nested: { a: [1, null] },
    });
  });

  it("records unserializable details instead of failing the append", () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(normalizeInput({ source: "cli", status: "failed", details: loop }).details).toMatchObject({
      unserializable: true,
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
