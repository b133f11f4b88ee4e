import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { REPO_ROOT } from "../helpers/repo-root.js";
import { describeIf } from "../helpers/skip.js";

const TEST_ROOT = join(REPO_ROOT, "test");

const testFiles = async (): Promise<{ path: string; text: string }[]> => {
  const out: { path: string; text: string }[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith(".ts"))
        out.push({ path: relative(REPO_ROOT, path), text: await readFile(path, "utf8") });
    }
  };
  await walk(TEST_ROOT);
  return out.filter((f) => !f.path.startsWith("test/bench/"));
};

describe("the suite keeps its promises (README: nothing asserts on time; no silent skip)", () => {
  it("a suite skipped for a missing tool or data says so in the run's output", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      describeIf(false, "the frobnicator tests: frobnicate is not installed");
      expect(warn).toHaveBeenCalledWith("SKIPPED: the frobnicator tests: frobnicate is not installed");
      warn.mockClear();
      describeIf(true, "present");
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it("no test skips through a bare skip/skipIf/runIf (they are silent); helpers/skip.ts is the one way", async () => {
    const silent = (await testFiles())
      .filter((f) => f.path !== "test/helpers/skip.ts" && f.path !== "test/unit/suite-hygiene.test.ts")
      .filter((f) => /\b(?:describe|it|test)\.(?:skip|skipIf|runIf)\b/.test(f.text))
      .map((f) => f.path);
    expect(silent).toEqual([]);
  });

  it("no test measures elapsed time in an assertion", async () => {
    const timed = (await testFiles())
      .filter((f) => f.path !== "test/unit/suite-hygiene.test.ts")
      .flatMap((f) =>
        f.text
          .split("\n")
          .filter((l) => /expect\(.*(?:Date\.now\(\)|performance\.now\(\))\s*-/.test(l))
          .map((l) => `${f.path}: ${l.trim()}`),
      );
    expect(timed).toEqual([]);
  });
});
