import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { isPackageGuardError } from "../../../src/errors.js";
import { checkReleases, type ReleaseCheck } from "../../../src/python/releases.js";
import { resolveFailure } from "../../../src/python/resolve-failure.js";
import { fetchProjectFiles, parseHtmlPage, type IndexFile } from "../../../src/python/simple-api.js";
import type { RunResult } from "../../../src/util/exec.js";

const NOW = new Date("2026-06-15T12:00:00.000Z");
const OLD = "2024-01-02T03:04:05Z";
const hex = (c: string) => c.repeat(64);

const file = (name: string, version: string, c: string, extra: Partial<IndexFile> = {}): IndexFile => ({
  filename: `${name}-${version}-py3-none-any.whl`,
  url: `https://index.example/files/${name}-${version}-py3-none-any.whl`,
  sha256: hex(c),
  yanked: false,
  uploadTime: OLD,
  size: 900,
  ...extra,
});
const pin = (name: string, version: string, c: string) => ({ name, version, hashes: [`sha256:${hex(c)}`] });

const check = (
  pages: Record<string, IndexFile[]>,
  index: Record<string, unknown> = {},
  toolchain: "uv" | "pip" = "uv",
): ReleaseCheck => ({
  config: parseConfig({ index: { url: "https://user:s3cret@index.example/simple", ...index } }, "/state"),
  toolchain,
  now: NOW,
  projectFiles: async (name) => pages[name] ?? [],
});

const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    if (isPackageGuardError(error)) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error("expected a refusal");
};

describe("the release check of a resolved set", () => {
  it("passes old, unyanked releases and returns their files for the install record", async () => {
    const files = await checkReleases(check({ tinycalc: [file("tinycalc", "1.0.0", "a")] }), [
      pin("tinycalc", "1.0.0", "a"),
    ]);
    expect(files).toEqual({
      "tinycalc==1.0.0": [
        {
          filename: "tinycalc-1.0.0-py3-none-any.whl",
          url: "https://index.example/files/tinycalc-1.0.0-py3-none-any.whl",
          sha256: hex("a"),
          uploadTime: OLD,
          size: 900,
        },
      ],
    });
  });

  it("refuses a yanked release even when pinned exactly, naming every yanked pin and the reason", async () => {
    const pages = {
      tinycalc: [file("tinycalc", "1.1.0", "b", { yanked: "broken build" })],
      datakit: [file("datakit", "1.0.0", "c", { yanked: "" })],
    };
    const r = await refusal(checkReleases(check(pages), [pin("datakit", "1.0.0", "c"), pin("tinycalc", "1.1.0", "b")]));
    expect(r.code).toBe("YANKED");
    expect(r.message).toBe(
      'The resolved set includes datakit 1.0.0, yanked from the index (reason: "no reason given"); tinycalc 1.1.0, ' +
        'yanked from the index (reason: "broken build"). A yanked release is never installed, even when pinned with ' +
        "'==': request another version.",
    );
    expect(r.details).toMatchObject({ package: "datakit" });
  });

  it("refuses a release uploaded inside the cooldown, saying when it becomes installable", async () => {
    const pages = { tinycalc: [file("tinycalc", "2.0.0", "d", { uploadTime: "2026-06-14T00:00:00Z" })] };
    const r = await refusal(checkReleases(check(pages), [pin("tinycalc", "2.0.0", "d")]));
    expect(r.code).toBe("TOO_NEW");
    expect(r.message).toContain(
      "tinycalc 2.0.0 was uploaded at 2026-06-14T00:00:00.000Z, after the cooldown's cutoff " +
        "2026-06-12T12:00:00.000Z (index.excludeNewer: 3 days); installable from 2026-06-17T00:00:00.000Z",
    );
    expect(r.message).toContain("index.excludeNewerPackages");
  });

  it("a per-package exception lets that package through; false turns the cooldown off", async () => {
    const pages = { tinycalc: [file("tinycalc", "2.0.0", "d", { uploadTime: "2026-06-14T00:00:00Z" })] };
    const pins = [pin("tinycalc", "2.0.0", "d")];
    await expect(
      checkReleases(check(pages, { excludeNewerPackages: { TinyCalc: false } }), pins),
    ).resolves.toBeDefined();
    await expect(
      checkReleases(check(pages, { excludeNewerPackages: { tinycalc: "1 day" } }), pins),
    ).resolves.toBeDefined();
    await expect(checkReleases(check(pages, { excludeNewer: false }), pins)).resolves.toBeDefined();
  });

  it("a yanked release is refused with the cooldown off too", async () => {
    const pages = { tinycalc: [file("tinycalc", "1.1.0", "b", { yanked: "" })] };
    const r = await refusal(checkReleases(check(pages, { excludeNewer: false }), [pin("tinycalc", "1.1.0", "b")]));
    expect(r.code).toBe("YANKED");
  });

  it("an undated file fails the cooldown with pip (which cannot apply it), not uv (which did)", async () => {
    const pages = { tinycalc: [file("tinycalc", "1.0.0", "a", { uploadTime: null })] };
    const pins = [pin("tinycalc", "1.0.0", "a")];
    await expect(checkReleases(check(pages, {}, "uv"), pins)).resolves.toBeDefined();
    const r = await refusal(checkReleases(check(pages, {}, "pip"), pins));
    expect(r.code).toBe("TOO_NEW");
    expect(r.message).toContain("has no upload time on the index (PEP 700)");
  });

  it("a pin whose hash the index does not list fails closed, without the index password", async () => {
    const r = await refusal(
      checkReleases(check({ tinycalc: [file("tinycalc", "1.0.0", "a")] }), [pin("tinycalc", "1.0.0", "e")]),
    );
    expect(r.code).toBe("INSTALL_FAILED");
    expect(r.message).toContain("lists no file of tinycalc 1.0.0 with the resolved hash");
    expect(r.message).not.toContain("s3cret");
  });

  describe("with a find-links folder", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "pg-findlinks-"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("a pin from the operator's own folder is recorded by path, with no index metadata to check", async () => {
      const bytes = Buffer.from("local wheel bytes");
      await writeFile(join(dir, "local_pkg-1.0-py3-none-any.whl"), bytes);
      const sha = createHash("sha256").update(bytes).digest("hex");
      const files = await checkReleases(check({}, { findLinks: [dir] }), [
        { name: "local-pkg", version: "1.0", hashes: [`sha256:${sha}`] },
      ]);
      expect(files["local-pkg==1.0"]).toEqual([
        {
          filename: "local_pkg-1.0-py3-none-any.whl",
          path: join(dir, "local_pkg-1.0-py3-none-any.whl"),
          sha256: sha,
          uploadTime: null,
          size: null,
        },
      ]);
    });
  });
});

describe("reading the simple API", () => {
  const respond = (body: string, type: string) => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const fetchFn = (async (url: URL | string, init?: RequestInit) => {
      seen.push({ url: String(url), headers: init?.headers as Record<string, string> });
      return new Response(body, { headers: { "content-type": type } });
    }) as typeof fetch;
    return { seen, fetchFn };
  };

  it("reads PEP 691 JSON with PEP 700 upload times; credentials go in a header, never in the URL", async () => {
    const body = JSON.stringify({
      meta: { "api-version": "1.1" },
      files: [
        {
          filename: "a-1-py3-none-any.whl",
          url: "../../files/a-1-py3-none-any.whl",
          hashes: { sha256: hex("A") },
          yanked: "bad",
          "upload-time": OLD,
          size: 3,
        },
        { filename: "a-2-py3-none-any.whl", url: "https://cdn.example/a-2.whl", hashes: {}, yanked: false },
      ],
    });
    const { seen, fetchFn } = respond(body, "application/vnd.pypi.simple.v1+json");
    const files = await fetchProjectFiles("https://u:p%40ss@index.example/simple/", "a", {
      fetch: fetchFn,
      timeoutMs: 1000,
    });
    expect(seen[0]!.url).toBe("https://index.example/simple/a/");
    expect(seen[0]!.headers.Authorization).toBe(`Basic ${Buffer.from("u:p@ss").toString("base64")}`);
    expect(seen[0]!.headers.Accept).toContain("application/vnd.pypi.simple.v1+json");
    expect(files).toEqual([
      {
        filename: "a-1-py3-none-any.whl",
        url: "https://index.example/files/a-1-py3-none-any.whl",
        sha256: hex("a"),
        yanked: "bad",
        uploadTime: OLD,
        size: 3,
      },
      {
        filename: "a-2-py3-none-any.whl",
        url: "https://cdn.example/a-2.whl",
        sha256: null,
        yanked: false,
        uploadTime: null,
        size: null,
      },
    ]);
  });

  it("reads PEP 503 HTML with data-yanked, entities decoded", async () => {
    const html =
      `<html><body><a href="../../files/a-1-py3-none-any.whl#sha256=${hex("b")}" ` +
      `data-yanked="&quot;broken&quot;">a-1</a>` +
      `<a href="/files/a-2-py3-none-any.whl#sha256=${hex("c")}" data-yanked>a-2</a>` +
      `<a href="/files/a-3-py3-none-any.whl">a-3</a></body></html>`;
    expect(
      (await parseHtmlPage(html, new URL("https://index.example/simple/a/"))).map((f) => [
        f.filename,
        f.sha256?.[0] ?? null,
        f.yanked,
      ]),
    ).toEqual([
      ["a-1-py3-none-any.whl", "b", '"broken"'],
      ["a-2-py3-none-any.whl", "c", ""],
      ["a-3-py3-none-any.whl", null, false],
    ]);
  });

  it("an error status, a broken page or an oversized page fails closed", async () => {
    const notFound = (async () => new Response("nope", { status: 404 })) as unknown as typeof fetch;
    await expect(
      fetchProjectFiles("https://i.example/simple", "a", { fetch: notFound, timeoutMs: 1000 }),
    ).rejects.toMatchObject({
      code: "INSTALL_FAILED",
      message: expect.stringContaining("HTTP 404"),
    });
    const { fetchFn } = respond("{not json", "application/vnd.pypi.simple.v1+json");
    await expect(
      fetchProjectFiles("https://i.example/simple", "a", { fetch: fetchFn, timeoutMs: 1000 }),
    ).rejects.toMatchObject({
      code: "INSTALL_FAILED",
    });
    const huge = (async () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            controller.enqueue(new Uint8Array(1024 * 1024));
          },
        }),
        { headers: { "content-type": "text/html" } },
      )) as unknown as typeof fetch;
    await expect(
      fetchProjectFiles("https://i.example/simple", "a", { fetch: huge, timeoutMs: 10_000 }),
    ).rejects.toMatchObject({
      message: expect.stringContaining("larger than"),
    });
  });
});

describe("a resolve the cooldown emptied", () => {
  const failed = (stderr: string): RunResult => ({
    command: "uv pip compile",
    exitCode: 1,
    stdout: "",
    stderr,
    timedOut: false,
    canceled: false,
    signal: undefined,
    spawnError: undefined,
  });
  const wanted = { tinycalc: { specifier: "==2.0.0", extras: [], requestedAt: OLD } };
  const cooldowns = parseConfig({}, "/s").index.cooldowns;

  it("is TOO_NEW, from uv's own hint (uv 0.13 wording)", () => {
    const stderr = [
      "error: No solution found when resolving dependencies",
      "  cause: Because there is no version of tinycalc==2.0.0 and you require tinycalc==2.0.0, we can conclude " +
        "that your requirements are unsatisfiable.",
      "",
      "hint: `tinycalc` was filtered by `exclude-newer` to only include packages uploaded before " +
        "2026-11-27T05:23:12.923138255Z. The requested version, v2.0.0, was published at " +
        "2026-11-30T05:22:58.257Z. Consider using `exclude-newer-package` to override the cutoff for this package.",
    ].join("\n");
    const e = resolveFailure(failed(stderr), wanted, "https://u:pw@index.example/simple", cooldowns);
    expect(e.code).toBe("TOO_NEW");
    expect(e.message).toBe(
      "tinycalc 2.0.0 was uploaded at 2026-11-30T05:22:58.257Z, and is inside the release cooldown " +
        "(index.excludeNewer: 3 days): no release uploaded earlier satisfies the request. Request an older version, " +
        "retry once the cooldown has passed, or ask an operator for an exception (index.excludeNewerPackages).",
    );
    expect(e.details).toEqual({ package: "tinycalc", version: "2.0.0", uploadedAt: "2026-11-30T05:22:58.257Z" });
  });

  it("is an index problem when the index gives no upload times at all", () => {
    const stderr =
      "warning: `tinycalc-1.0.0-py3-none-any.whl` is missing an upload date, but user provided: " +
      "2026-11-27T05:23:20Z\n" +
      "error: No solution found when resolving dependencies\n  cause: Because there are no versions of tinycalc and " +
      "you require tinycalc, we can conclude that your requirements are unsatisfiable.\n\nhint: `tinycalc` was " +
      "filtered by `exclude-newer` to only include packages uploaded before 2026-11-27T05:23:20Z. The latest version " +
      "satisfying the requirement is v2.0.0. Consider using `exclude-newer-package` to override the cutoff.\n";
    const e = resolveFailure(
      failed(stderr),
      { tinycalc: { ...wanted.tinycalc, specifier: "" } },
      "https://u:pw@i.example/simple",
      cooldowns,
    );
    expect(e.code).toBe("INSTALL_FAILED");
    expect(e.message).toContain("gives no upload times (PEP 700)");
    expect(e.message).not.toContain("pw@");
  });

  it("is YANKED when uv itself refused the yanked release (asked for with more than a bare '==')", () => {
    const stderr =
      "  × No solution found when resolving dependencies:\n  ╰─▶ Because tinycalc==1.1.0 was yanked (reason: broken " +
      "build) and you require tinycalc>=1,==1.1.0, we can conclude that your requirements are unsatisfiable.\n";
    const e = resolveFailure(failed(stderr), wanted, "https://index.example/simple", cooldowns);
    expect(e.code).toBe("YANKED");
    expect(e.message).toBe(
      'The resolved set includes tinycalc 1.1.0, yanked from the index (reason: "broken build"). A yanked release ' +
        "is never installed, even when pinned with '==': request another version.",
    );
  });
});
