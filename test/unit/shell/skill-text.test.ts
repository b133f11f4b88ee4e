import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decideFindings, SHELL_CODE } from "../../../src/service/shell-decision.js";
import { analyzeLoaded } from "../../../src/shell/analyze.js";
import { loadShellParser } from "../../../src/shell/parser.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";

let skill: string;
beforeAll(async () => {
  await loadShellParser();
  skill = await readFile(join(REPO_ROOT, "skills", "python-packages", "SKILL.md"), "utf8");
});

describe("the bundled skill (issue 12, item 4)", () => {
  it("tells agents that shell installs are refused, with the code they will see", () => {
    expect(skill).toContain("## Installs through the shell are refused");
    expect(skill).toContain(`\`[${SHELL_CODE}]\``);
  });

  it("shows the suggestion exactly as the gate writes it", () => {
    const d = decideFindings(analyzeLoaded("pip install requests").findings, "block");
    expect(skill).toContain(`\`${d.suggestion}\``);
    const npm = decideFindings(analyzeLoaded("npm i d3@7.9.0").findings, "block");
    expect(skill).toContain(`\`${npm.suggestion}\``);
  });
});
