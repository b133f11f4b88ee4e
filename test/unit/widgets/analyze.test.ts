import { describe, expect, it } from "vitest";
import { analyzeWidget } from "../../../src/widgets/html.js";
import { planWidget, type WidgetOptions } from "../../../src/widgets/plan.js";

const D3 = "https://cdn.jsdelivr.net/npm/d3@7.9.0/dist/d3.min.js";
const EVIL = "https://cdn.jsdelivr.net/gh/evil/x@main/x.js";
const DEFAULTS: WidgetOptions = { esmSh: false, fonts: true };

const plan = (code: string, options: WidgetOptions = DEFAULTS) => planWidget(analyzeWidget(code), options);
const messages = (code: string, options?: WidgetOptions): string =>
  plan(code, options)
    .refusals.map((r) => `[${r.code}] ${r.message}`)
    .join("\n");

describe("what a widget may do", () => {
  it("a pinned jsdelivr tag is planned for policy, hashing and a rewrite of exactly its start tag", () => {
    const code = `<div id="chart"></div>\n<script src="${D3}" defer></script>\n<script>d3.select("#chart")</script>`;
    const p = plan(code);
    expect(p.refusals).toEqual([]);
    expect(p.planned).toHaveLength(1);
    const [ref] = p.planned;
    expect(ref).toMatchObject({ url: D3, hash: true, moduleFile: false, library: { name: "d3", version: "7.9.0" } });
    expect(code.slice(ref!.binding!.start, ref!.binding!.end)).toBe(`<script src="${D3}" defer>`);
    expect(ref!.ref.where).toBe("line 2: <script>");
  });

  it("a module tag and a stylesheet are bound too, and their files are to be checked for further loads", () => {
    const p = plan(
      `<link rel="stylesheet" href="https://unpkg.com/leaflet@1.9.4/dist/leaflet.css">` +
        `<script type="module" src="https://unpkg.com/preact@10.19.3/dist/preact.module.js"></script>`,
    );
    expect(p.refusals).toEqual([]);
    expect(p.planned.map((r) => [r.ref.kind, r.hash, r.moduleFile, r.cssFile])).toEqual([
      ["stylesheet", true, false, true],
      ["module", true, true, false],
    ]);
  });

  it("<html>, <body> and <head> tags inside the code are merged, not dropped; <select> with options is fine", () => {
    expect(messages(`<html lang="en"><head></head><body class="x"><select><option>a</option></select></body>`)).toBe(
      "",
    );
  });

  it("ordinary scripting passes: elements, attributes with literal names, handlers, markup without handlers", () => {
    const code = `<ul id="l"></ul><button onclick="this.textContent = 'ok'">go</button><script>
      const li = document.createElement("li");
      li.setAttribute("class", "row");
      li.addEventListener("click", () => li.remove());
      document.getElementById("l").innerHTML = "<b>" + String(1 + 1) + "</b>";
      const rows = [1, 2].map((x) => x * 2); rows[0];
      setTimeout(() => li.focus(), 10);
    </script>`;
    expect(messages(code)).toBe("");
  });

  it("font hosts: a stylesheet link and an @import are allowed without integrity; never as code", () => {
    const p = plan(
      `<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Inter">` +
        `<style>@import url("https://fonts.bunny.net/css?family=inter");</style>`,
    );
    expect(p.refusals).toEqual([]);
    expect(p.planned.map((r) => [r.ref.kind, r.hash, r.library])).toEqual([
      ["stylesheet", false, null],
      ["css-import", false, null],
    ]);
    expect(messages(`<script src="https://fonts.googleapis.com/css2?family=Inter"></script>`)).toContain(
      "serve fonts and CSS, not code",
    );
    expect(
      messages(`<link rel=stylesheet href="https://fonts.gstatic.com/x.css">`, { ...DEFAULTS, fonts: false }),
    ).toContain("font hosts are off");
  });

  it("esm.sh only when the operator enables it, and then without integrity", () => {
    const code = `<script type="module">import { h } from "https://esm.sh/preact@10.19.3";</script>`;
    expect(messages(code)).toContain("widgets.esmSh");
    const on = plan(code, { ...DEFAULTS, esmSh: true });
    expect(on.refusals).toEqual([]);
    expect(on.planned[0]).toMatchObject({ hash: false, library: { name: "preact", version: "10.19.3" } });
  });

  it("a CDN URL in text, an attribute or a string is checked like a tag (policy), not bound", () => {
    const p = plan(`<p>Built with ${D3}</p><a href="${D3}">src</a><script>const u = "${D3}";</script>`);
    expect(p.refusals).toEqual([]);
    expect(new Set(p.planned.map((r) => r.ref.kind))).toEqual(new Set(["mention"]));
    expect(p.planned.every((r) => r.library?.name === "d3" && !r.hash && !r.binding)).toBe(true);
  });
});

// The red team's classes: every way CDN code could reach the widget's page past a rewritten tag.
describe("what a widget may not do", () => {
  it.each([
    // Loaders built by scripts: the bytes they load are bound by nothing.
    [
      "createElement('script')",
      `<script>const s = document.createElement("script"); s.src = "${D3}";</script>`,
      `createElement("script")`,
    ],
    ["createElement with a computed tag", `<script>document.createElement(tag)</script>`, "not a string literal"],
    [
      "createElementNS svg script",
      `<script>document.createElementNS(ns, "script")</script>`,
      `createElementNS("script")`,
    ],
    ["createElement('link')", `<script>document.createElement("LINK")</script>`, `createElement("LINK")`],
    [
      "an alias through bind",
      `<script>const ce = document.createElement.bind(document); ce("script")</script>`,
      "other than by a direct call",
    ],
    [
      "an alias through call",
      `<script>document.createElement.call(document, "script")</script>`,
      "other than by a direct call",
    ],
    [
      "destructuring the loader",
      `<script>const { createElement } = document;</script>`,
      "destructuring 'createElement'",
    ],
    ["a computed name on document", `<script>document["create" + "Element"]("script")</script>`, "computed name"],
    ["a computed name on window", `<script>window[k](u)</script>`, "computed name"],
    ["an escaped identifier", `<script>document.cr\\u0065ateElement("script")</script>`, `createElement("script")`],
    ["a with statement", `<script>with (document) { write(x) }</script>`, "with statement"],
    ["the name as a string", `<script>Reflect.get(document, "createElement")</script>`, "'createElement' as a string"],
    [
      "Reflect.apply",
      `<script>Reflect.apply(document.createElement, document, ["script"])</script>`,
      "other than by a direct call",
    ],
    ["document.write", `<script>document.write('<script src="${D3}"><\\/script>')</script>`, "'write'"],
    ["createContextualFragment", `<script>r.createContextualFragment(html)</script>`, "createContextualFragment"],
    ["a worker", `<script>new Worker(u)</script>`, "'Worker'"],
    ["a worklet", `<script>CSS.paintWorklet.addModule("${D3}")</script>`, "'addModule'"],
    ["importScripts", `<script>importScripts(u)</script>`, "'importScripts'"],
    // Code from strings (the CSP has no unsafe-eval either; refused here with a reason an agent can act on).
    ["eval", `<script>eval(code)</script>`, "'eval'"],
    ["window.eval", `<script>window.eval(code)</script>`, "'eval'"],
    ["Function", `<script>new Function(code)()</script>`, "'Function'"],
    ["setTimeout with a string", `<script>setTimeout("import(u)", 1)</script>`, "setTimeout with a string"],
    // Imports cannot carry integrity.
    [
      "import() of a computed URL",
      `<script>const u = "https://cdn.jsdelivr" + ".net/gh/e/x.js"; import(u)</script>`,
      "import() of a URL that is not a string literal",
    ],
    [
      "a static import of a package file",
      `<script type="module">import "${D3}";</script>`,
      "an import cannot carry an integrity check",
    ],
    ["a literal import()", `<script>import("${D3}")</script>`, "an import cannot carry an integrity check"],
    [
      "an import of a CDN build",
      `<script type="module">import * as d3 from "https://cdn.jsdelivr.net/npm/d3@7.9.0/+esm";</script>`,
      "built by the CDN",
    ],
    ["a re-export", `<script type="module">export * from "${EVIL}";</script>`, "GitHub repositories"],
    ["a relative import", `<script type="module">import "./x.js";</script>`, "relative import"],
    [
      "an import map target",
      `<script type="importmap">{"imports": {"d3": "${D3}"}}</script>`,
      "an import cannot carry an integrity check",
    ],
    ["an import map scope", `<script type="importmap">{"scopes": {"${EVIL}": {}}}</script>`, "GitHub repositories"],
    ["an unreadable import map", `<script type="importmap">{nope</script>`, "not a JSON object"],
    ["speculation rules", `<script type="speculationrules">{}</script>`, "speculation rules"],
    // Attributes that run code or change what loads.
    ["setAttribute with an on* name", `<script>el.setAttribute("onclick", "go()")</script>`, "use addEventListener"],
    [
      "setAttribute with a computed name",
      `<script>for (const k in a) el.setAttribute(k, a[k])</script>`,
      "attribute name that is not a string literal",
    ],
    [
      "setAttribute src with a computed value",
      `<script>img.setAttribute("src", u)</script>`,
      "value that is not a string literal",
    ],
    ["removing integrity", `<script>link.removeAttribute("integrity")</script>`, "integrity"],
    ["integrity assigned", `<script>link.integrity = ""</script>`, "'integrity'"],
    ["an attribute node", `<script>el.setAttributeNode(a)</script>`, "setAttributeNode"],
    ["a javascript: URL in a script", `<script>location = "javascript:import(u)"</script>`, "javascript: URL"],
    // Markup a script builds: handlers and loaders inside string literals are never run through the checks.
    [
      "a handler in innerHTML",
      `<script>el.innerHTML = '<img src=x onerror="import(location.hash)">'</script>`,
      "onerror handler in markup built by a script",
    ],
    [
      "a script in innerHTML",
      `<script>el.innerHTML = \`<script src="${D3}"><\\/script>\`</script>`,
      "<script> in markup built by a script",
    ],
    [
      "a link in insertAdjacentHTML",
      `<script>el.insertAdjacentHTML("beforeend", '<link rel=stylesheet href="${D3}">')</script>`,
      "<link> in markup built by a script",
    ],
    // Elements that load other documents, plugins or change URL resolution.
    ["iframe srcdoc", `<iframe srcdoc="<script src='${EVIL}'></script>"></iframe>`, "nested documents"],
    ["object", `<object data="${EVIL}"></object>`, "plugins"],
    ["embed", `<embed src="x.swf">`, "plugins"],
    ["base", `<base href="https://cdn.jsdelivr.net/"><script src="/gh/evil/x@main/x.js"></script>`, "<base> changes"],
    ["meta refresh", `<meta http-equiv="refresh" content="0;url=${EVIL}">`, "<meta http-equiv>"],
    ["noscript", `<noscript><link rel=stylesheet href="${EVIL}"></noscript>`, "<noscript>"],
    ["plaintext", `<plaintext>`, "<plaintext>"],
    ["a script inside a template", `<template><script src="${D3}"></script></template>`, "inside <template>"],
    ["an SVG script with href", `<svg><script href="${D3}"></script></svg>`, "SVG <script href>"],
    ["an SVG inline script", `<svg><script>import(u)</script></svg>`, "import() of a URL that is not a string literal"],
    [
      "SVG animation of href",
      `<svg><a><animate attributeName="href" values="javascript:alert(1)"/></a></svg>`,
      "SVG animation",
    ],
    ["a javascript: link", `<a href="javascript:import(u)">x</a>`, "javascript: URL in href"],
    ["a javascript: link with an entity tab", `<a href="java&#x09;script:alert(1)">x</a>`, "javascript: URL in href"],
    [
      "an xlink javascript: link",
      `<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>`,
      "javascript: URL in xlink:href",
    ],
    ["a handler on the merged body", `<body onload="import(u)">`, "import() of a URL that is not a string literal"],
    ["an unclosed script", `<script>const a = 1;`, "not closed within widget_code"],
    ["an unparsable script", `<script>const = ;</script>`, "cannot be parsed"],
    // Parser differentials: the tree parse5 builds is the browser's.
    [
      "<style> inside <svg> is markup",
      `<svg><style><img src=x onerror="import(location.hash)"></style></svg>`,
      "import() of a URL that is not a string literal",
    ],
    // parse5 drops these tags as the HTML standard used to; current browsers keep elements inside <select>.
    ["an element inside <select>", `<select><img src=x onerror="import(location.hash)"></select>`, "drops this <img>"],
    [
      "an SVG inside <select>",
      `<select><svg><script>"&quot;+import(location.hash)+&quot;"</script></svg></select>`,
      "drops this <svg>",
    ],
    [
      "a dropped tag in script-built markup",
      `<script>el.innerHTML = "<select><button>x</button></select>"</script>`,
      "drops this <button>",
    ],
    [
      "a double-escaped script keeps going",
      `<script><!--<script></script>\nimport(location.hash)</script>`,
      "import() of a URL that is not a string literal",
    ],
    // CSS.
    [
      "an @import of a package file",
      `<style>@import url("https://unpkg.com/leaflet@1.9.4/dist/leaflet.css");</style>`,
      "an @import cannot carry an integrity check",
    ],
    [
      "an escaped @import",
      `<style>@\\69mport "https://cdn\\2ejsdelivr.net/gh/evil/x@main/x.css";</style>`,
      "GitHub repositories",
    ],
    ["a url() outside npm in a style attribute", `<div style="background: url(${EVIL})"></div>`, "GitHub repositories"],
    // Hosts hidden in text.
    [
      "a host outside a URL",
      `<script>const h = "cdn.jsdelivr.net"; x("https://" + h + "/gh/e/x.js")</script>`,
      "cdn.jsdelivr.net is named outside a complete URL",
    ],
    ["a fullwidth host in text", `<p>https://ｃｄｎ。jsdelivr.net/gh/evil/x.js</p>`, "not a plain host name"],
    [
      "an entity-encoded host in an attribute",
      `<div data-u="https://&#99;dn.jsdelivr.net/gh/evil/x@main/x.js"></div>`,
      "GitHub repositories",
    ],
    ["a CDN URL in a comment", `<!-- ${EVIL} -->`, "GitHub repositories"],
    ["a CDN URL in a data block", `<script type="text/x-template">${EVIL}</script>`, "GitHub repositories"],
    ["a preload of a GitHub file", `<link rel="preload" as="script" href="${EVIL}">`, "GitHub repositories"],
    ["a host outside the list", `<script src="https://evil.example/x.js"></script>`, "not a CDN widgets may load from"],
    ["a relative script", `<script src="/x.js"></script>`, "cannot be parsed"],
    ["a data: script", `<script src="data:text/javascript,alert(1)"></script>`, "not a CDN"],
    [
      "unpinned",
      `<script src="https://cdn.jsdelivr.net/npm/d3@latest/dist/d3.min.js"></script>`,
      "not an exact version",
    ],
    [
      "cdnjs",
      `<script src="https://cdnjs.cloudflare.com/ajax/libs/d3/7.9.0/d3.min.js"></script>`,
      "cdnjs library names",
    ],
  ])("%s", (_name, code, expected) => {
    expect(messages(code)).toContain(expected);
  });
});
