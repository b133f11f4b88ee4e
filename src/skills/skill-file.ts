import { basename, isAbsolute, join } from "node:path";
import { readBounded } from "./bounded-read.js";
import { critical, SKILL_MD, type SkillFinding } from "./findings.js";

/** A SKILL.md larger than this is not read (and the skill is blocked): the frontmatter is a few hundred bytes. */
export const MAX_SKILL_MD_BYTES = 256 * 1024;

export type SkillFileRead = { ok: true; text: string } | { ok: false; finding: SkillFinding };

const failed = (rule: string, message: string): SkillFileRead => ({ ok: false, finding: critical(rule, message) });

/**
 * The staged skill's SKILL.md as text. `sourcePath` is the staged directory (or, for kind "file", SKILL.md
 * itself). SECURITY: no symlinks (O_NOFOLLOW), regular files only, and never more than the size cap in memory.
 */
export const readSkillFile = async (sourcePath: string, kind: string): Promise<SkillFileRead> => {
  if (!isAbsolute(sourcePath))
    return failed(
      "skill-path",
      `The staged skill path '${sourcePath.slice(0, 200)}' is not absolute; cannot inspect it`,
    );
  let path: string;
  if (kind === "directory") path = join(sourcePath, SKILL_MD);
  else if (kind === "file" && basename(sourcePath) === SKILL_MD) path = sourcePath;
  else
    return failed(
      "skill-path",
      `Cannot inspect a staged skill of kind '${kind.slice(0, 40)}' (${basename(sourcePath).slice(0, 100)}); ` +
        `package-guard reads SKILL.md from a directory`,
    );

  const read = await readBounded(path, MAX_SKILL_MD_BYTES);
  if (read.ok) return { ok: true, text: read.bytes.toString("utf8") };
  switch (read.why) {
    case "missing":
      return failed(
        "skill-md-missing",
        `The skill has no ${SKILL_MD}; package-guard cannot tell which Python packages it needs`,
      );
    case "symlink":
      return failed("skill-md-unreadable", `${SKILL_MD} is a symbolic link; package-guard only reads a regular file`);
    case "not-file":
      return failed("skill-md-unreadable", `${SKILL_MD} is not a regular file`);
    case "too-large":
      return failed(
        "skill-md-too-large",
        `${SKILL_MD} is ${read.detail}, more than the ${MAX_SKILL_MD_BYTES} bytes package-guard reads; shorten it`,
      );
    default:
      return failed("skill-md-unreadable", `Cannot read ${SKILL_MD}: ${read.detail}`);
  }
};
