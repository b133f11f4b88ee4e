import { describe, expect, it } from "vitest";
import { readPylock } from "../../../src/skills/pylock.js";
import { readUvLock } from "../../../src/skills/uv-lock.js";

const HASH = "sha256:" + "a".repeat(64);

describe("uv.lock", () => {
  const read = (text: string) => readUvLock(text, "uv.lock");
  const lock = (...packages: string[]) => ["version = 1", "revision = 2", ...packages].join("\n");

  it("pins every registry package; the project itself and members inside the bundle are skipped", () => {
    const text = lock(
      '[[package]]\nname = "skill"\nversion = "0.1.0"\nsource = { virtual = "." }',
      '[[package]]\nname = "member"\nversion = "0.1.0"\nsource = { editable = "packages/member" }',
      `[[package]]\nname = "pyyaml"\nversion = "6.0.2"\nsource = { registry = "https://pypi.org/simple" }\n` +
        `wheels = [{ url = "https://files.example/pyyaml.whl", hash = "${HASH}" }]`,
      '[[package]]\nname = "tinycalc"\nversion = "1.0.0"\nsource = { registry = "https://pypi.org/simple" }',
    );
    expect(read(text).declared.map((d) => [d.requirement, d.line])).toEqual([
      ["pyyaml==6.0.2", 12],
      ["tinycalc==1.0.0", 17],
    ]);
    expect(read(text).findings).toEqual([]);
  });

  it("git, URL and file sources, and folders outside the bundle, are findings", () => {
    const text = lock(
      '[[package]]\nname = "a"\nversion = "1"\nsource = { git = "https://evil.example/a.git?rev=x#abc" }',
      '[[package]]\nname = "b"\nversion = "1"\nsource = { url = "https://evil.example/b.whl" }',
      '[[package]]\nname = "c"\nversion = "1"\nsource = { path = "vendor/c.whl" }',
      '[[package]]\nname = "d"\nversion = "1"\nsource = { editable = "../../elsewhere" }',
      '[[package]]\nname = "e"\nversion = "1"\nsource = { directory = "/etc" }',
    );
    expect(read(text).findings.map((f) => [f.ruleId, f.message.split(" comes from")[0]])).toEqual([
      ["package-guard.package-source", "uv.lock: a"],
      ["package-guard.package-source", "uv.lock: b"],
      ["package-guard.package-source", "uv.lock: c"],
      ["package-guard.package-source", "uv.lock: d"],
      ["package-guard.package-source", "uv.lock: e"],
    ]);
    expect(read(text).declared).toEqual([]);
  });

  it("an unknown lock version, a broken file or malformed entries are findings", () => {
    expect(read('version = 2\n[[package]]\nname = "a"').findings.map((f) => f.ruleId)).toEqual([
      "package-guard.lock-unsupported",
    ]);
    expect(read("version = 1\n[[package]\nname=").findings.map((f) => f.ruleId)).toEqual([
      "package-guard.toml-invalid",
    ]);
    expect(read('version = 1\npackage = "x"').findings.map((f) => f.ruleId)).toEqual([
      "package-guard.dependency-malformed",
    ]);
    expect(
      read('version = 1\n[[package]]\nname = "a"\nsource = { registry = "https://pypi.org/simple" }').findings.map(
        (f) => f.ruleId,
      ),
    ).toEqual(["package-guard.dependency-malformed"]);
  });
});

describe("pylock.toml (PEP 751)", () => {
  const read = (text: string) => readPylock(text, "pylock.toml");

  it("pins every package with a version, whatever URL its files name", () => {
    const text = [
      'lock-version = "1.0"',
      'created-by = "uv"',
      "[[packages]]",
      'name = "datakit"',
      'version = "1.0.0"',
      `wheels = [{ url = "https://elsewhere.example/datakit-1.0.0-py3-none-any.whl", ` +
        `hashes = { sha256 = "${"b".repeat(64)}" } }]`,
      "[[packages]]",
      'name = "skill"',
      'directory = { path = ".", editable = true }',
    ].join("\n");
    expect(read(text).declared.map((d) => [d.requirement, d.line])).toEqual([["datakit==1.0.0", 4]]);
    expect(read(text).findings).toEqual([]);
  });

  it("VCS, archive and path sources, folders outside the bundle and missing versions are findings", () => {
    const text = [
      'lock-version = "1.0"',
      '[[packages]]\nname = "a"\nvcs = { type = "git", url = "https://evil.example/a.git", commit-id = "abc" }',
      '[[packages]]\nname = "b"\narchive = { url = "https://evil.example/b.tar.gz", hashes = { sha256 = "x" } }',
      '[[packages]]\nname = "c"\nversion = "1"\nwheels = [{ path = "vendor/c.whl", hashes = { sha256 = "x" } }]',
      '[[packages]]\nname = "d"\ndirectory = { path = "/srv/d" }',
      '[[packages]]\nname = "e"',
    ].join("\n");
    expect(read(text).findings.map((f) => [f.ruleId, f.message.split(" ")[1]])).toEqual([
      ["package-guard.package-source", "a"],
      ["package-guard.package-source", "b"],
      ["package-guard.package-source", "c"],
      ["package-guard.package-source", "d"],
      ["package-guard.dependency-malformed", "e"],
    ]);
    expect(read(text).declared).toEqual([]);
  });

  it("refuses lock versions other than 1.x", () => {
    expect(read('lock-version = "2.0"').findings.map((f) => f.ruleId)).toEqual(["package-guard.lock-unsupported"]);
    expect(read("[[packages]]\nname = 'a'").findings.map((f) => f.ruleId)).toEqual(["package-guard.lock-unsupported"]);
  });
});
