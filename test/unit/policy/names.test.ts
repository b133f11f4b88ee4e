import { describe, expect, it } from "vitest";
import { isValidProjectName, normalizeName, suggestSimilar } from "../../../src/policy/names.js";

describe("normalizeName (PEP 503)", () => {
  it.each([
    ["Pandas", "pandas"],
    ["PANDAS", "pandas"],
    ["pandas", "pandas"],
    ["pan_das", "pan-das"],
    ["pan.das", "pan-das"],
    ["pan-_.das", "pan-das"],
    ["Scikit_Learn", "scikit-learn"],
    ["zope.interface", "zope-interface"],
    ["jw.util", "jw-util"],
    ["Zope__Interface", "zope-interface"],
  ])("%s → %s", (raw, normalized) => {
    expect(normalizeName(raw)).toBe(normalized);
  });

  it("keeps separator variants apart from the unseparated name", () => {
    expect(normalizeName("pan_das")).not.toBe(normalizeName("pandas"));
    expect(normalizeName("pan.das")).toBe(normalizeName("pan-das"));
  });
});

describe("isValidProjectName", () => {
  it.each(["a", "pandas", "Pandas2", "scikit-learn", "zope.interface", "a_b", "1x", "n".repeat(100)])(
    "accepts %j",
    (name) => {
      expect(isValidProjectName(name)).toBe(true);
    },
  );
  it.each(["", "-a", "a-", "_a", "a.", "pan das", "pandas\n", "ｐａｎｄａｓ", "раndas", "a/b", "a@b", "n".repeat(101)])(
    "refuses %j",
    (name) => {
      expect(isValidProjectName(name)).toBe(false);
    },
  );
});

describe("suggestSimilar", () => {
  const WHITELIST = ["pandas", "numpy", "requests", "beautifulsoup4", "scikit-learn", "torch", "transformers"];

  it.each([
    ["pandsa", ["pandas"]],
    ["panda", ["pandas"]],
    ["nunpy", ["numpy"]],
    ["reqeusts", ["requests"]],
    ["request", ["requests"]],
    ["scikitlearn", ["scikit-learn"]],
    ["scikit_learn_", ["scikit-learn"]],
    ["sklearn", []],
    ["beautifulsoup", ["beautifulsoup4"]],
    ["python-requests", ["requests"]],
    ["torhc", ["torch"]],
    ["tensorflow", []],
    ["leftpad", []],
  ])("%s → %j", (name, hints) => {
    expect(suggestSimilar(name, WHITELIST)).toEqual(hints);
  });

  it("orders closest first and respects max", () => {
    const hints = suggestSimilar("pandas", ["pandaz", "pandas-x", "pandas2", "pand", "xandaz"], 2);
    expect(hints).toHaveLength(2);
    expect(hints).toEqual(["pandas-x", "pandas2"]);
  });

  it("never returns the name itself", () => {
    expect(suggestSimilar("Pandas", ["pandas", "pandaz"])).toEqual(["pandaz"]);
  });
});
