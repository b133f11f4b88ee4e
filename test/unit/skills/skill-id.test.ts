import { describe, expect, it } from "vitest";
import { skillIdFromName } from "../../../src/skills/skill-id.js";

describe("skill id from an OpenClaw skill name", () => {
  it("lowercases and replaces each run of other characters with one '-'", () => {
    expect(skillIdFromName("data-visualization")).toBe("data-visualization");
    expect(skillIdFromName("Data Viz!")).toBe("data-viz");
    expect(skillIdFromName("my_skill.v2")).toBe("my_skill-v2");
    expect(skillIdFromName("../../etc/passwd")).toBe("etc-passwd");
    expect(skillIdFromName("x".repeat(100))).toBe("x".repeat(63));
  });

  it("gives null when nothing usable is left", () => {
    expect(skillIdFromName("")).toBeNull();
    expect(skillIdFromName("---")).toBeNull();
    expect(skillIdFromName("日本語")).toBeNull();
  });
});
