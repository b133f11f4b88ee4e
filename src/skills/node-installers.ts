import { parseFrontmatter } from "./frontmatter.js";
import { extractNodeInstallers, type SkillDependencies } from "./python-deps.js";
import { readSkillFile } from "./skill-file.js";

const NONE: SkillDependencies = { name: null, requirements: [], lines: [], findings: [] };

/**
 * The npm packages a staged skill's node installers name (`metadata.openclaw.install[]`, kind "node"). An unreadable
 * SKILL.md or frontmatter yields none here: the Python side of vetting reads the same file and blocks on it.
 */
export const readNodeInstallers = async (sourcePath: string, kind: string): Promise<SkillDependencies> => {
  const file = await readSkillFile(sourcePath, kind);
  if (!file.ok) return NONE;
  const parsed = parseFrontmatter(file.text);
  if (!parsed.ok || parsed.frontmatter === null) return NONE;
  return extractNodeInstallers(parsed.frontmatter);
};
