import { describe, expect, it } from "vitest";
import { validateSkillId } from "../../../src/python/skill-id.js";
import { thrown } from "../policy/helpers.js";

describe("skill ids", () => {
  it.each(["a", "weather", "data-tools_2", "0abc", "a".repeat(63)])("accepts %j", (id) => {
    expect(validateSkillId(id)).toBe(id);
  });

  it.each([
    ["../x"],
    ["a/b"],
    [".hidden"],
    ["UPPER"],
    ["a".repeat(64)],
    ["-leading"],
    ["_leading"],
    ["a.b"],
    [".."],
    ["a b"],
    ["a\nb"],
    ["ü"],
    ["a\u0000"],
  ])("rejects %j", (id) => {
    const e = thrown(() => validateSkillId(id));
    expect(e.code).toBe("INVALID_REQUIREMENT");
    expect(e.message).toContain("lowercase letters, digits, '-' and '_'");
  });

  it.each([[42], [{}], [["a"]]])("rejects the non-string %j", (id) => {
    const e = thrown(() => validateSkillId(id));
    expect(e.code).toBe("INVALID_REQUIREMENT");
    expect(e.message).toMatch(/Invalid skill id a /);
  });

  it.each([[null], [undefined], [""]])("a missing skill id (%j) says it is required (issue 14.10)", (id) => {
    const e = thrown(() => validateSkillId(id));
    expect(e.code).toBe("INVALID_REQUIREMENT");
    expect(e.message).toMatch(/^The skill id is required: pass 'skill'/);
    expect(e.message).not.toContain("undefined");
  });
});
