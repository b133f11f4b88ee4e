import { describe, expect, it } from "vitest";
import { applyIgnoreRules } from "../../../src/scan/ignore.js";
import type { Finding } from "../../../src/scan/types.js";

const finding: Finding = {
  id: "PYSEC-2021-142",
  aliases: ["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"],
  ecosystem: "PyPI",
  package: "pyyaml",
  version: "5.3",
  fixedVersions: ["5.4"],
};
const other: Finding = {
  id: "PYSEC-2020-96",
  aliases: ["CVE-2020-1747"],
  ecosystem: "PyPI",
  package: "pyyaml",
  version: "5.3",
  fixedVersions: ["5.3.1"],
};
const rule = (id: string, expires = "2027-01-31") => ({ id, reason: "code path not used", expires });
const at = (iso: string) => new Date(iso);

describe("applyIgnoreRules", () => {
  it("matches the id or any alias, case-insensitively, and keeps the rest", () => {
    for (const id of ["PYSEC-2021-142", "cve-2020-14343", "ghsa-8Q59-q68h-6hv4"]) {
      const { kept, ignored } = applyIgnoreRules([finding, other], [rule(id)], at("2026-06-01T00:00:00Z"));
      expect(kept).toEqual([other]);
      expect(ignored).toEqual([{ finding, rule: rule(id) }]);
    }
  });

  it("applies through the last millisecond of the expiry day (UTC) and not after", () => {
    const rules = [rule("PYSEC-2021-142", "2027-01-31")];
    expect(applyIgnoreRules([finding], rules, at("2027-01-31T00:00:00.000Z")).kept).toEqual([]);
    expect(applyIgnoreRules([finding], rules, at("2027-01-31T23:59:59.999Z")).kept).toEqual([]);
    expect(applyIgnoreRules([finding], rules, at("2027-02-01T00:00:00.000Z")).kept).toEqual([finding]);
    // The same instant in a zone ahead of UTC is still Jan 31 in UTC.
    expect(applyIgnoreRules([finding], rules, at("2027-02-01T05:00:00+06:00")).kept).toEqual([]);
  });

  it("never applies a rule with a malformed or impossible date", () => {
    for (const expires of ["2027-02-30", "31.01.2027", "2027-1-31", "", "9999-99-99"]) {
      expect(applyIgnoreRules([finding], [rule("PYSEC-2021-142", expires)], at("2026-01-01T00:00:00Z")).kept).toEqual([
        finding,
      ]);
    }
  });

  it("does not match on partial ids", () => {
    expect(applyIgnoreRules([finding], [rule("PYSEC-2021-14")], at("2026-01-01T00:00:00Z")).kept).toEqual([finding]);
  });

  it("with an ecosystem, applies only to findings of that ecosystem", () => {
    const npm: Finding = { ...finding, ecosystem: "npm", package: "pyyaml-js" };
    const scoped = { ...rule("PYSEC-2021-142"), ecosystem: "npm" as const };
    const { kept, ignored } = applyIgnoreRules([finding, npm], [scoped], at("2026-06-01T00:00:00Z"));
    expect(kept).toEqual([finding]);
    expect(ignored.map((i) => i.finding)).toEqual([npm]);
  });

  it("never applies to malware, named by its MAL- id or by an alias", () => {
    const malware: Finding = { ...finding, id: "GHSA-xxxx-yyyy-zzzz", aliases: ["MAL-2024-77"] };
    for (const id of ["MAL-2024-77", "GHSA-xxxx-yyyy-zzzz"]) {
      expect(applyIgnoreRules([malware], [rule(id)], at("2026-06-01T00:00:00Z")).kept).toEqual([malware]);
    }
  });
});
