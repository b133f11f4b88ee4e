import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { locate, parseVersion, probeTool } from "../../../src/python/tools.js";
import type { Runner } from "../../../src/util/exec.js";
import { testTempDir } from "../../helpers/temp-dir.js";

describe("tool lookup", () => {
  it("finds bare names on PATH, takes absolute paths as they are, refuses relative paths", async () => {
    const dir = await testTempDir("pg-tools-");
    const tool = join(dir, "mytool");
    await writeFile(tool, "#!/bin/sh\n");
    await chmod(tool, 0o755);
    await writeFile(join(dir, "notexec"), "");
    expect(await locate("mytool", `/nonexistent:relative/dir:${dir}`)).toBe(tool);
    expect(await locate(tool, "")).toBe(tool);
    expect(await locate("notexec", dir)).toBeNull();
    expect(await locate("./mytool", dir)).toBeNull();
    expect(await locate("missing", dir)).toBeNull();
    expect(await locate("", dir)).toBeNull();
  });

  it.each([
    ["uv 0.13.9 (x86_64-unknown-linux-gnu)\n", "0.13.9"],
    ["Python 3.11.7\n", "3.11.7"],
    ["pip-audit 2.9.0\n", "2.9.0"],
    ["Python 3.14.0rc1\n", "3.14.0rc1"],
    ["nothing here", null],
  ])("reads the version from %j", (text, version) => {
    expect(parseVersion(text)).toBe(version);
  });

  it("runs --version with the scrubbed environment and returns null on failure", async () => {
    const dir = await testTempDir("pg-tools-");
    const tool = join(dir, "uv");
    await writeFile(tool, "");
    await chmod(tool, 0o755);
    const seen: { args: readonly string[]; env: Record<string, string> | undefined }[] = [];
    const runner =
      (exitCode: number): Runner =>
      async (file, args, options) => {
        seen.push({ args, env: options.env });
        return {
          command: file,
          exitCode,
          stdout: "uv 0.13.9\n",
          stderr: "",
          timedOut: false,
          canceled: false,
          signal: undefined,
          spawnError: undefined,
        };
      };
    expect(await probeTool(runner(0), tool)).toEqual({ path: tool, version: "0.13.9" });
    expect(await probeTool(runner(1), tool)).toBeNull();
    expect(seen[0]?.args).toEqual(["--version"]);
    expect(seen[0]?.env?.PIP_CONFIG_FILE).toBe("/dev/null");
  });
});
