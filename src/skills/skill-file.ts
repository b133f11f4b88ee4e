import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { basename, isAbsolute, join } from "node:path";
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

  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      return failed(
        "skill-md-missing",
        `The skill has no ${SKILL_MD}; package-guard cannot tell which Python packages it needs`,
      );
    if (code === "ELOOP")
      return failed("skill-md-unreadable", `${SKILL_MD} is a symbolic link; package-guard only reads a regular file`);
    return failed("skill-md-unreadable", `Cannot read ${SKILL_MD}: ${code ?? (error as Error).message}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return failed("skill-md-unreadable", `${SKILL_MD} is not a regular file`);
    if (stat.size > MAX_SKILL_MD_BYTES) {
      return failed(
        "skill-md-too-large",
        `${SKILL_MD} is ${stat.size} bytes, more than the ${MAX_SKILL_MD_BYTES} package-guard reads; shorten it`,
      );
    }
    // Read one byte past the cap: a file that grew after the stat is refused too.
    const buffer = Buffer.alloc(MAX_SKILL_MD_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_SKILL_MD_BYTES) {
        return failed(
          "skill-md-too-large",
          `${SKILL_MD} is more than the ${MAX_SKILL_MD_BYTES} bytes package-guard reads; shorten it`,
        );
      }
    }
    return { ok: true, text: buffer.subarray(0, length).toString("utf8") };
  } catch (error) {
    return failed("skill-md-unreadable", `Cannot read ${SKILL_MD}: ${(error as Error).message}`);
  } finally {
    await handle.close().catch(() => undefined);
  }
};
