import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryPackageFiles } from "../../../src/service/widget-files.js";
import { startNpmRegistry, type NpmRegistry } from "../../helpers/npm-registry.js";

// The widget gate's registry access against a loopback npm registry serving real packuments and packed tarballs.
let registry: NpmRegistry;
const D3_MIN = "!function(){window.d3={version:'7.9.0'}}();\n";

beforeAll(async () => {
  registry = await startNpmRegistry({
    packages: [
      { name: "d3", version: "7.9.0", files: { "dist/d3.min.js": D3_MIN, "index.js": "export {};\n" } },
      { name: "@observablehq/plot", version: "0.6.16", files: { "dist/plot.umd.min.js": "plot()\n" } },
      { name: "old-lib", version: "1.0.0", sha1Only: true },
      { name: "tampered", version: "1.0.0" },
    ],
  });
});

afterAll(async () => {
  await registry?.close();
});

const files = (): RegistryPackageFiles =>
  new RegistryPackageFiles({ registry: registry.url, timeoutMs: 10_000, maxTarballBytes: 1024 * 1024 });

describe("RegistryPackageFiles", () => {
  it("reads a release's files from the tarball the packument names, checked against its sha512", async () => {
    const contents = await files().contents("d3", "7.9.0");
    expect(contents.files.get("dist/d3.min.js")?.toString()).toBe(D3_MIN);
    // The bytes a browser would hash are the bytes the registry published.
    const published = createHash("sha384").update(D3_MIN).digest("base64");
    expect(createHash("sha384").update(contents.files.get("dist/d3.min.js")!).digest("base64")).toBe(published);
  });

  it("reads a scoped package (packument at /@scope%2fname)", async () => {
    const contents = await files().contents("@observablehq/plot", "0.6.16");
    expect(contents.files.get("dist/plot.umd.min.js")?.toString()).toBe("plot()\n");
  });

  it("fetches a release once: the second widget is served from memory", async () => {
    const source = files();
    const before = registry.requests.length;
    await source.contents("d3", "7.9.0");
    await source.contents("d3", "7.9.0");
    expect(registry.requests.slice(before)).toEqual(["/d3", "/d3/-/d3-7.9.0.tgz"]);
  });

  it("refuses a tarball whose bytes differ from the packument's integrity", async () => {
    registry.tamper("tampered", "1.0.0");
    await expect(files().contents("tampered", "1.0.0")).rejects.toMatchObject({
      code: "INSTALL_FAILED",
      message: expect.stringContaining("does not match the registry's integrity"),
    });
  });

  it("refuses a release with only a sha1 shasum, an unpublished version and an unknown package", async () => {
    await expect(files().contents("old-lib", "1.0.0")).rejects.toMatchObject({
      code: "INSTALL_FAILED",
      message: expect.stringContaining("no sha512 integrity"),
    });
    await expect(files().contents("d3", "9.9.9")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(files().contents("no-such-package", "1.0.0")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses a tarball on another origin than the configured registry", async () => {
    const foreign: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith("/d3")) return response;
      const doc = (await response.json()) as { versions: Record<string, { dist: { tarball: string } }> };
      doc.versions["7.9.0"]!.dist.tarball = "http://127.0.0.2:9/d3/-/d3-7.9.0.tgz";
      return new Response(JSON.stringify(doc), { status: 200 });
    };
    const source = new RegistryPackageFiles({
      registry: registry.url,
      timeoutMs: 10_000,
      maxTarballBytes: 1024 * 1024,
      fetch: foreign,
    });
    await expect(source.contents("d3", "7.9.0")).rejects.toMatchObject({
      message: expect.stringContaining("not on the configured registry"),
    });
  });

  it("refuses a tarball larger than allowed without reading it all", async () => {
    const small = new RegistryPackageFiles({ registry: registry.url, timeoutMs: 10_000, maxTarballBytes: 64 });
    await expect(small.contents("d3", "7.9.0")).rejects.toMatchObject({
      message: expect.stringContaining("larger than 64 bytes"),
    });
  });
});
