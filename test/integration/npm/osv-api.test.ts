import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OsvApiScanner } from "../../../src/scan/osv-api.js";
import { startOsvServer, type OsvServer } from "../../helpers/osv-server.js";
import { osvNpmRecords } from "./setup.js";

/** The OSV API backend (npm) against a loopback OSV server built from the fixtures: answers, and failing closed. */
let osv: OsvServer;
beforeAll(async () => {
  osv = await startOsvServer(await osvNpmRecords());
});
afterAll(async () => {
  await osv?.close();
});

const scanner = (o: { timeoutMs?: number; baseUrl?: string } = {}) =>
  new OsvApiScanner({ baseUrl: o.baseUrl ?? osv.baseUrl, timeoutMs: o.timeoutMs ?? 5_000 });

describe("OsvApiScanner", () => {
  it("one batch for the pins, then each record it names: ids, aliases, fixed versions, summaries, MAL-", async () => {
    osv.behave({});
    const before = osv.queries.length;
    const out = await scanner().scan([
      { ecosystem: "npm" as const, name: "vulnlib", version: "1.0.0" },
      { ecosystem: "npm" as const, name: "vulnlib", version: "1.0.1" },
      { ecosystem: "npm" as const, name: "evilpkg", version: "3.2.1" },
      { ecosystem: "npm" as const, name: "@acme/widget", version: "2.0.3" },
      { ecosystem: "npm" as const, name: "@acme/widget", version: "2.0.0" },
    ]);
    expect(out.get("npm:vulnlib@1.0.0")).toEqual([
      {
        id: "GHSA-9999-vuln-0001",
        aliases: ["CVE-2099-4242"],
        ecosystem: "npm",
        package: "vulnlib",
        version: "1.0.0",
        fixedVersions: ["1.0.1"],
        summary: "Prototype pollution in vulnlib before 1.0.1 (test fixture)",
      },
    ]);
    expect(out.get("npm:vulnlib@1.0.1")).toEqual([]);
    expect(out.get("npm:evilpkg@3.2.1")?.map((f) => f.id)).toEqual(["MAL-2099-7"]);
    expect(out.get("npm:@acme/widget@2.0.3")?.map((f) => [f.id, f.fixedVersions])).toEqual([
      ["GHSA-9999-scop-0002", ["2.0.5"]],
    ]);
    expect(out.get("npm:@acme/widget@2.0.0")).toEqual([]);
    expect(osv.queries.length - before).toBe(5);
  });

  it.each([
    ["an HTTP error", { status: 500 }, /answered HTTP 500/],
    ["no answer in time", { delayMs: 1_500 }, /no answer within 300 ms/],
  ])("fails closed on %s: SCANNER_UNAVAILABLE, never clean", async (_what, behavior, message) => {
    osv.behave(behavior);
    try {
      await expect(
        scanner({ timeoutMs: 300 }).scan([{ ecosystem: "npm" as const, name: "vulnlib", version: "1.0.1" }]),
      ).rejects.toMatchObject({
        code: "SCANNER_UNAVAILABLE",
        message: expect.stringMatching(message),
      });
    } finally {
      osv.behave({});
    }
  });

  it("fails closed on a service that is not there, and keeps credentials out of its id and messages", async () => {
    const dead = scanner({ baseUrl: "http://user:s3cret@127.0.0.1:9/?token=abc", timeoutMs: 2_000 });
    expect(dead.id).toBe("osv-api(http://127.0.0.1:9)");
    const error = await dead
      .scan([{ ecosystem: "npm" as const, name: "vulnlib", version: "1.0.0" }])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "SCANNER_UNAVAILABLE" });
    expect(String((error as Error).message)).not.toMatch(/s3cret|abc/);
  });

  it("refuses malformed pins before any request", async () => {
    const before = osv.requests;
    for (const pin of [
      { ecosystem: "npm" as const, name: "../etc", version: "1.0.0" },
      { ecosystem: "npm" as const, name: "vulnlib", version: "^1.0.0" },
      { ecosystem: "npm" as const, name: "vulnlib", version: "1.0.0 --x" },
      { ecosystem: "npm" as const, name: "vul nlib", version: "1.0.0" },
    ]) {
      await expect(scanner().scan([pin])).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
    }
    expect(osv.requests).toBe(before);
  });
});

describe("OsvApiScanner against a service that answers wrongly", () => {
  const answering = (handler: (url: string, init?: RequestInit) => Response) =>
    new OsvApiScanner({
      baseUrl: "https://osv.example",
      timeoutMs: 1_000,
      fetch: async (input, init) => handler(String(input), init),
    });
  const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200 });
  const pin = { ecosystem: "npm" as const, name: "vulnlib", version: "1.0.0" };

  it.each([
    ["fewer results than queries", () => json({ results: [] })],
    ["a result without ids", () => json({ results: [{ vulns: [{ modified: "x" }] }] })],
    ["not JSON", () => new Response("<html>", { status: 200 })],
    [
      "a record for another id",
      (url: string) =>
        url.includes("/v1/vulns/") ? json({ id: "GHSA-other" }) : json({ results: [{ vulns: [{ id: "GHSA-1" }] }] }),
    ],
    ["a redirect", () => Response.redirect("https://elsewhere.example/", 302)],
  ])("%s is SCANNER_UNAVAILABLE", async (_what, handler) => {
    await expect(answering(handler).scan([pin])).rejects.toMatchObject({ code: "SCANNER_UNAVAILABLE" });
  });

  it("sends a mirror's user:password as a Basic header, never in the URL", async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const mirror = new OsvApiScanner({
      baseUrl: "https://me:p%40ss@osv.example/api/?sig=1",
      timeoutMs: 1_000,
      fetch: async (input, init) => {
        seen.push({ url: String(input), auth: new Headers(init?.headers).get("authorization") });
        return json({ results: [{}] });
      },
    });
    expect((await mirror.scan([pin])).get("npm:vulnlib@1.0.0")).toEqual([]);
    expect(seen).toEqual([
      { url: "https://osv.example/api/v1/querybatch", auth: `Basic ${Buffer.from("me:p@ss").toString("base64")}` },
    ]);
    expect(mirror.id).toBe("osv-api(https://osv.example/api)");
  });

  it("follows next_page_token for a query with many advisories, and gives up after ten pages", async () => {
    let pages = 0;
    const paged = answering((url, init) => {
      if (url.endsWith("/v1/querybatch")) return json({ results: [{ vulns: [{ id: "A-1" }], next_page_token: "p1" }] });
      if (url.endsWith("/v1/query")) {
        pages++;
        const token = (JSON.parse(String(init?.body)) as { page_token: string }).page_token;
        return json({ vulns: [{ id: `A-${pages + 1}` }], ...(token === "p1" ? { next_page_token: "p2" } : {}) });
      }
      const id = decodeURIComponent(url.slice(url.lastIndexOf("/") + 1));
      return json({ id, affected: [{ package: { ecosystem: "npm", name: "vulnlib" }, versions: ["1.0.0"] }] });
    });
    expect((await paged.scan([pin])).get("npm:vulnlib@1.0.0")?.map((f) => f.id)).toEqual(["A-1", "A-2", "A-3"]);
    const endless = answering((url) =>
      url.endsWith("/v1/vulns/A")
        ? json({ id: "A" })
        : json({
            results: [{ vulns: [{ id: "A" }], next_page_token: "t" }],
            vulns: [{ id: "A" }],
            next_page_token: "t",
          }),
    );
    await expect(endless.scan([pin])).rejects.toMatchObject({
      message: expect.stringContaining("too many advisories"),
    });
  });
});
