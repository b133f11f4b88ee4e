import { describe, expect, it } from "vitest";
import type { Maturity } from "../../../src/config.js";
import { evaluate } from "../../../src/policy/decide.js";
import { parseRequirement } from "../../../src/policy/requirement.js";
import { Whitelist, loadDefaultLayer } from "../../../src/policy/whitelist.js";
import { thrown } from "./helpers.js";

const whitelist = Whitelist.fromLayers([
  loadDefaultLayer(),
  {
    source: "test",
    tiers: {
      intern: [{ package: "httpx", version: ">=0.27,<1", extras: ["http2"] }],
      supervised: [{ package: "jax", version: ">=0.4.30rc1,<0.5" }, { package: "anything" }],
    },
  },
]);
const decide = (raw: string, maturity: Maturity) => evaluate(whitelist, parseRequirement(raw), maturity);

/**
 * The oracle for what a request reads as, independent of the parser under test: these simple requests are a name,
 * optional [extras] and a specifier, and PEP 503 lowercases the name and folds runs of -_. into "-".
 */
const readAs = (raw: string): { name: string; extras: string[]; specifier: string } => {
  const m = /^([A-Za-z0-9._-]+)(?:\[([^\]]*)\])?(.*)$/.exec(raw)!;
  return {
    name: m[1]!.toLowerCase().replace(/[-_.]+/g, "-"),
    extras: m[2] ? m[2].split(",") : [],
    specifier: m[3]!,
  };
};

describe("evaluate: allowed", () => {
  it.each([
    ["pandas", "student", ">=2.0.0,<3.0.0", false],
    ["pandas>=2.0,<3", "student", ">=2.0,<3", false],
    ["Pandas==2.2.2", "student", "==2.2.2", false],
    ["pandas~=2.2", "autonomous", "~=2.2", false],
    ["pandas==2.*", "student", "==2.*", false],
    ["requests>=2.31,<3", "intern", ">=2.31,<3", false],
    ["torch", "autonomous", ">=2.0.0", true],
    ["torch>=2.3", "autonomous", ">=2.3", true],
    ["httpx[http2]", "intern", ">=0.27,<1", false],
    ["jax==0.4.31rc1", "supervised", "==0.4.31rc1", false],
    // The seed's own example, and ranges that only overlap the approved one: the resolver gets both (issue 14.1).
    ["pandas>=2.0.0", "student", ">=2.0.0,<3.0.0", false],
    ["requests>=2.32", "intern", ">=2.32,<3.0.0", false],
    ["numpy>=1.20", "student", ">=1.24.0,<2.0.0", false],
    ["pandas>=2.5", "student", ">=2.5,<3.0.0", false],
    ["pandas<2.5", "student", "<2.5,>=2.0.0", false],
    ["pandas>=0", "student", ">=2.0.0,<3.0.0", false],
    ["pandas!=2.1.0", "student", "!=2.1.0,>=2.0.0,<3.0.0", false],
    ["pandas>=1,<4", "student", ">=2.0.0,<3.0.0", false],
    ["anything>=1", "supervised", ">=1", false],
    ["anything", "supervised", "", false],
  ] as const)("%s at %s → %s", (raw, maturity, effective, approval) => {
    const d = decide(raw, maturity);
    expect(d.effectiveSpecifier).toBe(effective);
    expect(d.requiresApproval).toBe(approval);
    expect(d.entry.package).toBe(readAs(raw).name);
    expect(d.requirement).toEqual(readAs(raw));
  });
});

describe("evaluate: NOT_WHITELISTED", () => {
  it("names the tier that would allow it", () => {
    const e = thrown(() => decide("requests", "student"));
    expect(e.code).toBe("NOT_WHITELISTED");
    expect(e.message).toBe("Package 'requests' is not approved for student agents; approved at: intern");
    expect(e.details).toEqual({ package: "requests", maturity: "student", approvedAt: "intern", hints: [] });
  });

  it.each([
    ["torch", "supervised", "autonomous"],
    ["scikit-learn", "intern", "supervised"],
    ["Beautifulsoup4", "student", "intern"],
  ] as const)("%s at %s: approved at %s", (raw, maturity, at) => {
    expect(thrown(() => decide(raw, maturity)).details.approvedAt).toBe(at);
  });

  it("offers close names, never installs them", () => {
    const e = thrown(() => decide("pandsa", "student"));
    expect(e.message).toBe("Package 'pandsa' is not on the whitelist for student agents. Did you mean: pandas?");
    expect(e.details).toEqual({ package: "pandsa", maturity: "student", hints: ["pandas"] });
  });

  it("hints only at what this maturity may install", () => {
    expect(thrown(() => decide("scikitlearn", "supervised")).details.hints).toEqual(["scikit-learn"]);
    expect(thrown(() => decide("scikitlearn", "student")).details.hints).toEqual([]);
  });

  it("tells the agent whom to ask when nothing is close", () => {
    const e = thrown(() => decide("leftpad", "student"));
    expect(e.message).toBe(
      "Package 'leftpad' is not on the whitelist for student agents. Ask an operator to add it " +
        "(packages.whitelist.add).",
    );
    expect(e.details.hints).toEqual([]);
  });

  it.each(["pan_das", "pan.das", "pandas2", "numpy-py"])(
    "%s is a different project from the whitelisted one",
    (raw) => {
      expect(thrown(() => decide(raw, "autonomous")).code).toBe("NOT_WHITELISTED");
    },
  );
});

describe("evaluate: CONSTRAINT_VIOLATION only when nothing is left", () => {
  it.each([
    [
      "pandas==99",
      "Requested 'pandas==99' has no version in common with the approved range '>=2.0.0,<3.0.0' for pandas; " +
        "request e.g. 'pandas>=2.0.0,<3.0.0'",
    ],
    [
      "pandas==1.5.3",
      "Requested 'pandas==1.5.3' has no version in common with the approved range '>=2.0.0,<3.0.0' for pandas; " +
        "request e.g. 'pandas>=2.0.0,<3.0.0'",
    ],
    [
      "pandas>=3",
      "Requested 'pandas>=3' has no version in common with the approved range '>=2.0.0,<3.0.0' for pandas; " +
        "request e.g. 'pandas>=2.0.0,<3.0.0'",
    ],
    [
      "numpy<1.20",
      "Requested 'numpy<1.20' has no version in common with the approved range '>=1.24.0,<2.0.0' for numpy; " +
        "request e.g. 'numpy>=1.24.0,<2.0.0'",
    ],
    ["pandas>=3,<2", "Requested 'pandas>=3,<2' matches no version; request e.g. 'pandas>=2.0.0,<3.0.0'"],
    [
      "pandas==2.2.0rc1",
      "Requested 'pandas==2.2.0rc1' names a pre-release, but the approved range '>=2.0.0,<3.0.0' for pandas allows " +
        "none; request a final release",
    ],
    [
      "pandas>=2.1.dev0,<3",
      "Requested 'pandas>=2.1.dev0,<3' names a pre-release, but the approved range '>=2.0.0,<3.0.0' for pandas " +
        "allows none; request a final release",
    ],
    [
      "anything==1.0a1",
      "Requested 'anything==1.0a1' names a pre-release, but the approved range 'any' for anything allows none; " +
        "request a final release",
    ],
    [
      "jax==0.4.29rc1",
      "Requested 'jax==0.4.29rc1' has no version in common with the approved range '>=0.4.30rc1,<0.5' for jax; " +
        "request e.g. 'jax>=0.4.30rc1,<0.5'",
    ],
  ])("%s", (raw, message) => {
    const e = thrown(() => decide(raw, "supervised"));
    expect(e.code).toBe("CONSTRAINT_VIOLATION");
    expect(e.message).toBe(message);
    expect(e.details).toEqual({
      package: readAs(raw).name,
      requested: readAs(raw).specifier,
      allowed: expect.any(String),
    });
  });

  it("every suggestion is a clean range that is itself allowed", () => {
    for (const raw of ["pandas==99", "numpy<1.20", "pandas>=3,<2", "jax==0.4.29rc1"]) {
      const suggested = /request e\.g\. '([^']+)'/.exec(thrown(() => decide(raw, "supervised")).message)?.[1];
      expect(suggested, raw).toBeDefined();
      expect(suggested).not.toMatch(/(>=|<).*,\1/);
      expect(() => decide(suggested!, "supervised")).not.toThrow();
    }
  });

  it("an approved range that matches nothing closes that package (CONFIG_INVALID naming its source)", () => {
    const broken = Whitelist.fromLayers([
      { source: "ops.yaml", tiers: { student: [{ package: "pandas", version: ">=3,<2" }, { package: "numpy" }] } },
    ]);
    const judge = (raw: string) => evaluate(broken, parseRequirement(raw), "student");
    const e = thrown(() => judge("pandas"));
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.message).toMatch(/^The approved range '>=3,<2' for pandas \(ops\.yaml\) matches no version/);
    expect(thrown(() => judge("pandas>=2")).code).toBe("CONFIG_INVALID");
    // What it can judge still works.
    expect(judge("numpy").entry.package).toBe("numpy");
  });
});

describe("evaluate: extras", () => {
  it("refuses extras the entry does not list (default: none)", () => {
    const e = thrown(() => decide("requests[socks]", "intern"));
    expect(e.code).toBe("INVALID_REQUIREMENT");
    expect(e.details.reason).toBe("extras-not-allowed");
    expect(e.message).toBe(
      "Extras [socks] are not approved for requests (allowed extras: none); request 'requests' without them or ask " +
        "an operator to allow them",
    );
  });

  it("allows listed extras only", () => {
    expect(decide("httpx[HTTP2]", "intern").requirement.extras).toEqual(["http2"]);
    const e = thrown(() => decide("httpx[http2,cli]", "intern"));
    expect(e.details).toMatchObject({ reason: "extras-not-allowed", extras: ["cli"], allowedExtras: ["http2"] });
  });
});
