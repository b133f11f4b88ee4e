import { describe, expect, it } from "vitest";
import { inputLines, inputText, patchPaths } from "../../../src/shell/tool-input.js";

describe("what process and terminal calls type", () => {
  it("reads each action's text in the order the tool sends it", () => {
    expect(inputText("process", { action: "write", data: "ls\n" })).toBe("ls\n");
    expect(inputText("process", { action: "paste", text: "a\nb" })).toBe("a\nb");
    expect(inputText("process", { action: "submit" })).toBe("\r");
    expect(inputText("process", { action: "send-keys", literal: "hi ", hex: ["c3", "a9"], keys: ["Enter"] })).toBe(
      "hi é\r",
    );
    expect(inputText("process", { action: "poll" })).toBeNull();
    expect(inputText("terminal", { action: "input", data: "x" })).toBe("x");
    expect(inputText("terminal", { action: "read" })).toBeNull();
  });

  it("splits lines and follows backspace, ^W, ^U and ^C", () => {
    const { lines, pending } = inputLines("pi", "p\x7f\x7fip install six\recho a b\x17c\r^junk\x15ls");
    expect(lines.map((l) => [l.text, l.submitted])).toEqual([
      ["pip install six", true],
      ["echo a c", true],
      ["ls", false],
    ]);
    expect(pending).toBe("ls");
  });

  it("marks lines edited with keys it cannot follow, and history recall", () => {
    const { lines, pending } = inputLines("", "ab\x1b[Dc\r\u0001\r");
    expect(lines.map((l) => [l.edited, l.history])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(pending).toBe("");
  });

  it("an edited pending line stays marked on the next call", () => {
    const first = inputLines("", "ip install six\u0000");
    const second = inputLines(first.pending, "p\r");
    expect(second.lines[0]).toMatchObject({ text: "ip install sixp", edited: true, submitted: true });
  });
});

describe("apply_patch paths", () => {
  it("finds every file a patch adds, updates, deletes or moves to", () => {
    const patch = [
      "*** Begin Patch",
      "*** Add File: a.txt",
      "+x",
      "*** Update File: dir/b.py",
      "*** Move to: dir/c.py",
      "*** Delete File: /abs/d",
      "*** End Patch",
    ].join("\n");
    expect(patchPaths(patch)).toEqual(["a.txt", "dir/b.py", "dir/c.py", "/abs/d"]);
  });
});
