import { describe, expect, it } from "vitest";
import {
  constraintsFile,
  pinnedRequirements,
  requirementLine,
  requirementsIn,
} from "../../../src/python/requirements-file.js";
import { thrown } from "../policy/helpers.js";

const H = `sha256:${"ab".repeat(32)}`;

describe("requirements files", () => {
  it("builds lines from validated parts", () => {
    expect(requirementLine("pandas", [], ">=2.0.0,<3.0.0")).toBe("pandas>=2.0.0,<3.0.0");
    expect(requirementLine("requests", ["socks", "brotli"], "")).toBe("requests[brotli,socks]");
    expect(requirementLine("numpy", [], "==1.26.*")).toBe("numpy==1.26.*");
    expect(requirementLine("x", [], "~=1.4,!=1.4.2,>=1.0rc1,<2.0.dev3")).toBe("x~=1.4,!=1.4.2,>=1.0rc1,<2.0.dev3");
  });

  it("writes the wanted set sorted by name, one line each", () => {
    const at = "2026-01-01T00:00:00Z";
    expect(
      requirementsIn({
        tinycalc: { specifier: "<2", extras: [], requestedAt: at },
        datakit: { specifier: "", extras: [], requestedAt: at },
      }),
    ).toBe("datakit\ntinycalc<2\n");
  });

  it.each([
    ["name", "Pandas", [], ""],
    ["name", "pan_das", [], ""],
    ["name", "-r", [], ""],
    ["name", "pandas\n--index-url", [], ""],
    ["name", "pandas @ https://evil/x.whl", [], ""],
    ["name", "", [], ""],
    ["extra", "pandas", ["a]"], ""],
    ["extra", "pandas", ["x\n-e ."], ""],
    ["specifier", "pandas", [], "===1.0"],
    ["specifier", "pandas", [], ">=1.0; python_version<'0'"],
    ["specifier", "pandas", [], ">=1.0\n--extra-index-url https://evil"],
    ["specifier", "pandas", [], " >=1.0"],
    ["specifier", "pandas", [], ">=1.0+local"],
    ["specifier", "pandas", [], ">=1!2.0"],
    ["specifier", "pandas", [], ">=1.*"],
    ["specifier", "pandas", [], ">=1.0,"],
    ["specifier", "pandas", [], "1.0"],
    ["specifier", "pandas", [], "@ file:///etc"],
  ])("rejects a hostile %s", (_what, name, extras, spec) => {
    expect(thrown(() => requirementLine(name, extras, spec)).code).toBe("INVALID_REQUIREMENT");
  });

  it("writes pins with every hash, for --require-hashes", () => {
    expect(pinnedRequirements([{ name: "tinycalc", version: "1.1.0", hashes: [H, H.replace("ab", "cd")] }])).toBe(
      `tinycalc==1.1.0 \\\n    --hash=${H} \\\n    --hash=${H.replace("ab", "cd")}\n`,
    );
    expect(pinnedRequirements([])).toBe("");
    expect(
      constraintsFile([
        { name: "a", version: "1.0", hashes: [] },
        { name: "b-c", version: "2.0.post1", hashes: [] },
      ]),
    ).toBe("a==1.0\nb-c==2.0.post1\n");
  });

  it.each([
    [{ name: "x", version: "1.0", hashes: [] }],
    [{ name: "x", version: "1.0", hashes: ["md5:abc"] }],
    [{ name: "x", version: "1.0 --index-url=http://evil", hashes: [H] }],
    [{ name: "x", version: "1.0\n-e .", hashes: [H] }],
    [{ name: "X", version: "1.0", hashes: [H] }],
    [{ name: "x", version: "1.0", hashes: [`${H}\n--no-deps`] }],
  ])("refuses a pin it cannot write safely: %j", (pin) => {
    expect(thrown(() => pinnedRequirements([pin])).code).toBe("INVALID_REQUIREMENT");
  });
});
