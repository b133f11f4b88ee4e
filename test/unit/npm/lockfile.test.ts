import { describe, expect, it } from "vitest";
import { checkLockfile, readInstalledTree } from "../../../src/npm/lockfile.js";
import { npmPurl } from "../../../src/npm/purl.js";
import { thrown } from "../policy/helpers.js";

const REGISTRY = "http://127.0.0.1:4873/";
const SHA = `sha512-${"A".repeat(86)}==`;

const entry = (name: string, version: string, extra: Record<string, unknown> = {}) => ({
  version,
  resolved: `${REGISTRY}${name}/-/${name.slice(name.lastIndexOf("/") + 1)}-${version}.tgz`,
  integrity: SHA,
  ...extra,
});

const lockOf = (packages: Record<string, unknown>, root: Record<string, string> = { widget: "^2.0.0" }): string =>
  JSON.stringify({
    name: "c",
    lockfileVersion: 3,
    requires: true,
    packages: { "": { name: "c", version: "0.0.0", dependencies: root }, ...packages },
  });

const check = (packages: Record<string, unknown>, root?: Record<string, string>, maxPackages = 100) =>
  checkLockfile(lockOf(packages, root), {
    registry: REGISTRY,
    maxPackages,
    dependencies: root ?? { widget: "^2.0.0" },
  });

const GOOD = {
  "node_modules/widget": entry("widget", "2.0.0", { dependencies: { leftpad: "^1.0.0", "@s/x": "latest" } }),
  "node_modules/leftpad": entry("leftpad", "1.1.0", { hasInstallScript: true }),
  "node_modules/@s/x": entry("@s/x", "1.0.0", { optional: true }),
  "node_modules/widget/node_modules/leftpad": entry("leftpad", "0.9.0"),
};

describe("checkLockfile", () => {
  it("returns every package with its folder, version, tarball and integrity, sorted by folder", () => {
    expect(check(GOOD)).toEqual([
      {
        path: "node_modules/@s/x",
        name: "@s/x",
        version: "1.0.0",
        resolved: `${REGISTRY}@s/x/-/x-1.0.0.tgz`,
        integrity: SHA,
        hasInstallScript: false,
        optional: true,
      },
      expect.objectContaining({ path: "node_modules/leftpad", version: "1.1.0", hasInstallScript: true }),
      expect.objectContaining({ path: "node_modules/widget", name: "widget" }),
      expect.objectContaining({ path: "node_modules/widget/node_modules/leftpad", name: "leftpad", version: "0.9.0" }),
    ]);
  });

  it.each([
    ["git+https://evil.example/x.git", "vcs", "a git dependency ('git+https://evil.example/x.git')"],
    ["github:evil/x", "vcs", "a git dependency"],
    ["evil/x#main", "vcs", "a git dependency"],
    ["git+ssh://git@evil.example/x.git", "vcs", "'git+ssh://evil.example/x.git'"],
    ["https://user:secret@evil.example/x.tgz?token=t", "url", "('https://evil.example/x.tgz')"],
    ["file:../../../etc", "path", "a local folder"],
    ["file:/tmp/x.tgz", "path", "a local file"],
    ["npm:evilpkg@1.0.0", "npm-spec", "an npm: alias"],
    ["workspace:*", "npm-spec", "not a registry version"],
  ])("refuses a %s dependency anywhere in the tree (%s)", (spec, reason, message) => {
    const e = thrown(() =>
      check({
        ...GOOD,
        "node_modules/widget/node_modules/leftpad": entry("leftpad", "0.9.0", { optionalDependencies: { x: spec } }),
      }),
    );
    expect(e.code).toBe("INVALID_REQUIREMENT");
    expect(e.details).toMatchObject({ reason, declaredBy: "leftpad@0.9.0", package: "x", ecosystem: "npm" });
    expect(e.message).toContain(message);
    expect(e.message).not.toContain("secret");
  });

  it.each([
    ["another host", "http://evil.example/widget/-/widget-2.0.0.tgz"],
    ["another port", "http://127.0.0.1:9999/widget/-/widget-2.0.0.tgz"],
    ["another scheme", "https://127.0.0.1:4873/widget/-/widget-2.0.0.tgz"],
    ["another package's tarball", `${REGISTRY}evilpkg/-/evilpkg-2.0.0.tgz`],
    ["a path outside the tarball layout", `${REGISTRY}-/raw/widget/2.0.0.tgz`],
    ["a nested path", `${REGISTRY}widget/-/x/../../evil/-/evil.tgz`],
    ["credentials", "http://u:p@127.0.0.1:4873/widget/-/widget-2.0.0.tgz"],
    ["a query", `${REGISTRY}widget/-/widget-2.0.0.tgz?x=1`],
    ["not a tarball", `${REGISTRY}widget/-/widget-2.0.0.zip`],
    ["no URL at all", undefined],
  ])("refuses a tarball from %s", (_what, resolved) => {
    const e = thrown(() => check({ "node_modules/widget": { ...entry("widget", "2.0.0"), resolved } }));
    expect(e.code).toBe("INVALID_REQUIREMENT");
    expect(e.details.reason).toBe("url");
    expect(e.message).not.toMatch(/u:p@|x=1/);
  });

  it.each([
    ["sha1 only", `sha1-${"A".repeat(27)}=`],
    ["none", undefined],
    ["sha512 beside a weaker one", `sha1-${"A".repeat(27)}= ${SHA}`],
    ["a malformed sha512", "sha512-short=="],
  ])("refuses an integrity that is %s", (_what, integrity) => {
    const e = thrown(() => check({ "node_modules/widget": { ...entry("widget", "2.0.0"), integrity } }));
    expect(e).toMatchObject({ code: "INVALID_REQUIREMENT", details: { reason: "npm-integrity" } });
  });

  it.each([
    ["a link to a local folder", { "node_modules/widget": { resolved: "../widget", link: true } }, "path"],
    [
      "a bundled package",
      { ...GOOD, "node_modules/widget/node_modules/b": { version: "1.0.0", inBundle: true } },
      "npm-spec",
    ],
    ["an aliased folder", { "node_modules/widget": entry("widget", "2.0.0", { name: "evilpkg" }) }, "npm-spec"],
  ])("refuses %s", (_what, packages, reason) => {
    const e = thrown(() => check(packages));
    expect(e).toMatchObject({ code: "INVALID_REQUIREMENT", details: { reason } });
  });

  it.each([
    ["a path that climbs out", { "node_modules/../../etc": entry("etc", "1.0.0") }],
    ["a path outside node_modules", { "lib/widget": entry("widget", "2.0.0") }],
    ["a dot folder", { "node_modules/.bin": entry(".bin", "1.0.0") }],
    ["a range for a version", { "node_modules/widget": entry("widget", "^2.0.0") }],
    ["a non-object entry", { "node_modules/widget": "2.0.0" }],
  ])("refuses a lockfile with %s as unreadable", (_what, packages) => {
    expect(thrown(() => check(packages))).toMatchObject({ code: "INSTALL_FAILED", details: { reason: "lockfile" } });
  });

  it("refuses a root that asks for something else, other lockfile versions, and non-JSON", () => {
    expect(
      thrown(() => checkLockfile(lockOf(GOOD), { registry: REGISTRY, maxPackages: 100, dependencies: { widget: "*" } }))
        .message,
    ).toContain("root");
    expect(
      thrown(() => checkLockfile("{", { registry: REGISTRY, maxPackages: 9, dependencies: {} })).message,
    ).toContain("not JSON");
    const v1 = JSON.stringify({ lockfileVersion: 1, dependencies: {} });
    expect(thrown(() => checkLockfile(v1, { registry: REGISTRY, maxPackages: 9, dependencies: {} })).message).toContain(
      "version 2 or 3",
    );
  });

  it("refuses a tree larger than npm.maxPackages, and a lockfile larger than 32 MiB", () => {
    const e = thrown(() => check(GOOD, undefined, 3));
    expect(e).toMatchObject({ code: "CONSTRAINT_VIOLATION", details: { reason: "too-many-packages", packages: 4 } });
    const huge = `${lockOf(GOOD)}${" ".repeat(32 * 1024 * 1024)}`;
    expect(
      thrown(() => checkLockfile(huge, { registry: REGISTRY, maxPackages: 9, dependencies: {} })).message,
    ).toContain("larger than 32 MiB");
  });

  it("a registry below a path: tarballs must sit below it too", () => {
    const registry = "https://mirror.example/npm/";
    const good = { version: "2.0.0", resolved: `${registry}widget/-/widget-2.0.0.tgz`, integrity: SHA };
    const options = { registry, maxPackages: 9, dependencies: { widget: "^2.0.0" } };
    expect(checkLockfile(lockOf({ "node_modules/widget": good }), options)).toHaveLength(1);
    const outside = { ...good, resolved: "https://mirror.example/widget/-/widget-2.0.0.tgz" };
    expect(thrown(() => checkLockfile(lockOf({ "node_modules/widget": outside }), options)).details.reason).toBe("url");
  });
});

describe("readInstalledTree", () => {
  it("lists the folders and versions of an installed lockfile, and nothing for garbage", () => {
    expect(readInstalledTree(lockOf(GOOD)).map((e) => `${e.path}@${e.version}`)).toEqual([
      "node_modules/@s/x@1.0.0",
      "node_modules/leftpad@1.1.0",
      "node_modules/widget@2.0.0",
      "node_modules/widget/node_modules/leftpad@0.9.0",
    ]);
    expect(readInstalledTree("not json")).toEqual([]);
    expect(readInstalledTree(JSON.stringify({ packages: { "../x": { version: "1" } } }))).toEqual([]);
  });
});

describe("npmPurl", () => {
  it("percent-encodes the scope's @ and leaves the name as npm spells it", () => {
    expect(npmPurl("@acme/widget", "2.0.0")).toBe("pkg:npm/%40acme/widget@2.0.0");
    expect(npmPurl("lodash.merge", "4.6.2")).toBe("pkg:npm/lodash.merge@4.6.2");
    expect(npmPurl("d3")).toBe("pkg:npm/d3");
    expect(npmPurl("x", "1.0.0-beta+build.1")).toBe("pkg:npm/x@1.0.0-beta%2Bbuild.1");
  });
});
