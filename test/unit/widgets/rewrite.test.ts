import { describe, expect, it } from "vitest";
import { analyzeWidget } from "../../../src/widgets/html.js";
import { applyRewrites } from "../../../src/widgets/rewrite.js";

const D3 = "https://cdn.jsdelivr.net/npm/d3@7.9.0/dist/d3.min.js";
const SRI = "sha384-AAAA";

const rewrite = (code: string, url = D3): string => {
  const { code: trimmed, refs } = analyzeWidget(code);
  return applyRewrites(
    trimmed,
    refs.filter((r) => r.binding).map((r) => ({ binding: r.binding!, url, integrity: SRI })),
  );
};

describe("applyRewrites", () => {
  it("replaces only the start tag, byte for byte elsewhere (CRLF, astral characters, several tags)", () => {
    const code = `<p>😀\r\n</p>\r\n<script src='${D3}' defer></script>\r\n<i>x</i><script src="${D3}"></script>`;
    expect(rewrite(code)).toBe(
      `<p>😀\r\n</p>\r\n<script defer="" src="${D3}" integrity="${SRI}" crossorigin="anonymous"></script>\r\n` +
        `<i>x</i><script src="${D3}" integrity="${SRI}" crossorigin="anonymous"></script>`,
    );
  });

  it("keeps other attributes escaped, drops duplicates the browser ignores, replaces the agent's integrity", () => {
    const code = `<link rel="stylesheet" href="${D3}" href="https://evil.example/x.css" title='a"b&c' integrity="x">`;
    expect(rewrite(code)).toBe(
      `<link rel="stylesheet" title="a&quot;b&amp;c" href="${D3}" integrity="${SRI}" crossorigin="anonymous">`,
    );
  });

  it("writes the URL the gate checked, not the one the agent spelled", () => {
    expect(rewrite(`<script src="HTTPS://CDN.JSDELIVR.NET/npm/d3@7.9.0/dist/d3.min.js"></script>`)).toBe(
      `<script src="${D3}" integrity="${SRI}" crossorigin="anonymous"></script>`,
    );
  });

  it("refuses to write back an attribute name that could end the tag", () => {
    const { code, refs } = analyzeWidget(`<script src="${D3}"></script>`);
    const binding = { ...refs[0]!.binding!, attrs: [{ name: 'x"onload', value: "" }] };
    expect(() => applyRewrites(code, [{ binding, url: D3, integrity: SRI }])).toThrow(/cannot be written back/);
  });
});
