import { describe, expect, it } from "vitest";
import { mapCdnUrl, npmPurl } from "../../../src/widgets/cdn-url.js";

const D3 = "https://cdn.jsdelivr.net/npm/d3@7.9.0/dist/d3.min.js";

describe("mapCdnUrl: the files it maps", () => {
  it.each([
    [D3, { cdn: "jsdelivr", name: "d3", version: "7.9.0", path: "dist/d3.min.js", url: D3, hashable: true }],
    [
      "https://unpkg.com/@observablehq/plot@0.6.16/dist/plot.umd.min.js",
      {
        cdn: "unpkg",
        name: "@observablehq/plot",
        version: "0.6.16",
        path: "dist/plot.umd.min.js",
        url: "https://unpkg.com/@observablehq/plot@0.6.16/dist/plot.umd.min.js",
        hashable: true,
      },
    ],
    [
      "https://cdn.jsdelivr.net/npm/@scope/lib@1.0.0-rc.1/x.js",
      { cdn: "jsdelivr", name: "@scope/lib", version: "1.0.0-rc.1", path: "x.js", hashable: true },
    ],
    // The browser lowercases the host and reads // as the page's scheme; the canonical URL says https.
    ["HTTPS://CDN.JSDELIVR.NET/npm/d3@7.9.0/dist/d3.min.js", { url: D3 }],
    ["//cdn.jsdelivr.net/npm/d3@7.9.0/dist/d3.min.js", { url: D3 }],
    ["  https://cdn.jsdelivr.net/npm/d3@7.9.0/dist/d3.min.js#frag ", { url: D3 }],
    [
      "https://esm.sh/d3@7.9.0?bundle&target=es2022",
      { cdn: "esm.sh", name: "d3", path: "", hashable: false, url: "https://esm.sh/d3@7.9.0?bundle&target=es2022" },
    ],
    ["https://esm.sh/preact@10.19.3/hooks", { cdn: "esm.sh", name: "preact", path: "hooks", hashable: false }],
    ["https://fonts.googleapis.com/css2?family=Inter", { cdn: "fonts" }],
  ])("%s", (url, expected) => {
    expect(mapCdnUrl(url)).toMatchObject({ ok: true, target: expected });
  });
});

describe("mapCdnUrl: what it refuses", () => {
  it.each([
    // Not pinned.
    ["https://cdn.jsdelivr.net/npm/d3@latest/dist/d3.min.js", "INVALID_REQUIREMENT", "not an exact version"],
    ["https://cdn.jsdelivr.net/npm/d3@7/dist/d3.min.js", "INVALID_REQUIREMENT", "not an exact version"],
    ["https://cdn.jsdelivr.net/npm/d3@^7.9.0/dist/d3.min.js", "INVALID_REQUIREMENT", "not in plain form"],
    ["https://cdn.jsdelivr.net/npm/d3@7.9/dist/d3.min.js", "INVALID_REQUIREMENT", "not an exact version"],
    ["https://cdn.jsdelivr.net/npm/d3@v7.9.0/dist/d3.min.js", "INVALID_REQUIREMENT", "not an exact version"],
    ["https://cdn.jsdelivr.net/npm/d3@7.9.0+evil/d3.js", "INVALID_REQUIREMENT", "not an exact version"],
    ["https://cdn.jsdelivr.net/npm/d3/dist/d3.min.js", "INVALID_REQUIREMENT", "has no version"],
    ["https://unpkg.com/d3", "INVALID_REQUIREMENT", "has no version"],
    ["https://esm.sh/d3", "INVALID_REQUIREMENT", "has no version"],
    ["https://esm.sh/d3@7", "INVALID_REQUIREMENT", "not an exact version"],
    // Not a file the package publishes.
    ["https://cdn.jsdelivr.net/npm/d3@7.9.0", "INVALID_REQUIREMENT", "names no file"],
    ["https://cdn.jsdelivr.net/npm/d3@7.9.0/dist/", "INVALID_REQUIREMENT", "names no file"],
    ["https://cdn.jsdelivr.net/npm/d3@7.9.0/+esm", "NOT_WHITELISTED", "built by the CDN"],
    ["https://cdn.jsdelivr.net/combine/npm/d3@7.9.0,npm/x@1.0.0", "NOT_WHITELISTED", "outside npm"],
    ["https://cdn.jsdelivr.net/gh/evil/repo@main/x.js", "NOT_WHITELISTED", "GitHub repositories"],
    ["https://cdnjs.cloudflare.com/ajax/libs/d3/7.9.0/d3.min.js", "NOT_WHITELISTED", "cdnjs library names"],
    // Encoding and normalisation tricks: what the browser requests would differ from what was checked.
    ["https://cdn.jsdelivr.net/npm/d3@7.9.0/../../gh/evil/x/x.js", "INVALID_REQUIREMENT", "not in plain form"],
    ["https://cdn.jsdelivr.net/npm/d3@7.9.0/%2e%2e/%2e%2e/gh/e/x.js", "INVALID_REQUIREMENT", "not in plain form"],
    ["https://cdn.jsdelivr.net/npm/d3@7.9.0/dist%2Fd3.min.js", "INVALID_REQUIREMENT", "not in plain form"],
    ["https://cdn.jsdelivr.net/npm/d3@7.9.0/./dist/d3.min.js", "INVALID_REQUIREMENT", "not in plain form"],
    ["https://cdn%2Ejsdelivr.net/npm/d3@7.9.0/dist/d3.min.js", "INVALID_REQUIREMENT", "not a plain host"],
    ["https://ｃｄｎ.jsdelivr.net/npm/d3@7.9.0/dist/d3.min.js", "INVALID_REQUIREMENT", "not a plain host"],
    ["https://user:pw@cdn.jsdelivr.net/npm/d3@7.9.0/dist/d3.min.js", "INVALID_REQUIREMENT", "not a plain host"],
    ["https://cdn.jsdelivr.net:443/npm/d3@7.9.0/dist/d3.min.js", "INVALID_REQUIREMENT", "not a plain host"],
    ["https://cdn.jsdelivr.net:8443/npm/d3@7.9.0/dist/d3.min.js", "INVALID_REQUIREMENT", "not a plain host"],
    ["https:\\\\cdn.jsdelivr.net\\npm\\d3@7.9.0\\dist\\d3.min.js", "INVALID_REQUIREMENT", "backslashes"],
    ["https://cdn.jsdelivr.net/npm/d3@7.9.0/dist/d3.min.js?v=1", "INVALID_REQUIREMENT", "query string"],
    ["https://unpkg.com/d3@7.9.0/dist/d3.min.js?module", "INVALID_REQUIREMENT", "query string"],
    ["https://esm.sh/react-dom@18.2.0?alias=react:evil", "INVALID_REQUIREMENT", "'alias' changes"],
    ["https://esm.sh/react-dom@18.2.0?deps=react@0.0.1", "INVALID_REQUIREMENT", "'deps' changes"],
    ["http://cdn.jsdelivr.net/npm/d3@7.9.0/dist/d3.min.js", "INVALID_REQUIREMENT", "https only"],
    ["https://cdn.jsdelivr.net/npm/.hidden@1.0.0/x.js", "INVALID_REQUIREMENT", "not a valid npm package name"],
    // Hosts outside the list, and what is not a URL.
    ["https://evil.example/npm/d3@7.9.0/dist/d3.min.js", "NOT_WHITELISTED", "not a CDN"],
    ["https://cdn.jsdelivr.net.evil.example/npm/d3@7.9.0/x.js", "NOT_WHITELISTED", "not a CDN"],
    ["./local.js", "INVALID_REQUIREMENT", "cannot be parsed"],
    ["data:text/javascript,alert(1)", "NOT_WHITELISTED", "not a CDN"],
  ])("%s -> %s", (url, code, message) => {
    expect(mapCdnUrl(url)).toMatchObject({ ok: false, code, message: expect.stringContaining(message) });
  });

  it("names the package of an unpinned URL, so the audit record can say which one was refused", () => {
    expect(mapCdnUrl("https://cdn.jsdelivr.net/npm/d3@latest/dist/d3.min.js")).toMatchObject({ package: "d3" });
  });
});

describe("npmPurl", () => {
  it("encodes a scope's @ as the purl spec says", () => {
    expect(npmPurl("d3", "7.9.0")).toBe("pkg:npm/d3@7.9.0");
    expect(npmPurl("@observablehq/plot", "0.6.16")).toBe("pkg:npm/%40observablehq/plot@0.6.16");
  });
});
