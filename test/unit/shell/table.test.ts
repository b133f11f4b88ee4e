import { beforeAll, describe, expect, it } from "vitest";
import { decideFindings } from "../../../src/service/shell-decision.js";
import { analyzeLoaded } from "../../../src/shell/analyze.js";
import { loadShellParser } from "../../../src/shell/parser.js";
import { CONTROLS, INSTALLS, OPAQUE, ORDINARY, PATHS, TABLE } from "./table.js";

beforeAll(async () => {
  await loadShellParser();
});

/** `pass`, or `<kind>:<family>` of the finding the decision is about. */
const outcome = (command: string): string => {
  const d = decideFindings(analyzeLoaded(command, { paths: PATHS }).findings, "block");
  return d.decision === "pass" ? "pass" : `${d.kind}:${d.family}`;
};

describe("the shell gate's table", () => {
  it("has at least 150 commands, installs and ordinary ones", () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(150);
    expect(INSTALLS.length).toBeGreaterThan(100);
    expect(ORDINARY.length).toBeGreaterThan(100);
  });

  describe.each([
    ["installs", INSTALLS],
    ["opaque code", OPAQUE],
    ["the guard's controls and files", CONTROLS],
    ["ordinary commands", ORDINARY],
  ])("%s", (_name, rows) => {
    it.each(rows)("%s", (command, expected) => {
      expect(outcome(command)).toBe(expected);
    });
  });
});
