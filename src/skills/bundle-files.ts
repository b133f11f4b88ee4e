import type { Dirent } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";
import { fileProblem, SKILL_MD, type SkillFinding } from "./findings.js";

/** What a bundle file is to package-guard; "script?" is a file without extension, a script if its shebang says so. */
export type FileKind = "requirements" | "pyproject" | "uv-lock" | "pylock" | "python" | "script?";

export type BundleFile = { rel: string; path: string; kind: FileKind };

/** Past these the bundle is not vetted but blocked: what was not read cannot be said to be clean. */
export const BUNDLE_LIMITS = { entries: 10_000, depth: 16 } as const;

/** By name alone, case-insensitively (pip, uv and Python do not care about case on case-insensitive disks). */
export const kindOf = (rel: string): FileKind | null => {
  const name = basename(rel).toLowerCase();
  const parent = basename(dirname(rel)).toLowerCase();
  if (name === "pyproject.toml") return "pyproject";
  if (name === "uv.lock") return "uv-lock";
  if (/^pylock(?:\.[^.]+)?\.toml$/.test(name)) return "pylock";
  if (/\.pyw?$/.test(name)) return "python";
  if (/\.(?:txt|in)$/.test(name) && (name.includes("requirements") || parent === "requirements")) return "requirements";
  if (!name.slice(1).includes(".")) return "script?";
  return null;
};

type Walk = { files: BundleFile[]; findings: SkillFinding[] };

const within = (root: string, path: string): boolean => path === root || path.startsWith(root + sep);

/**
 * Every file of a staged skill that can bring Python packages, found without following a link out of it.
 * SECURITY: a symbolic link is resolved, never opened: one leading outside the bundle (or nowhere) is a finding;
 * one inside it is read at its target when its own name is a dependency file's (`requirements.txt -> deps.lst`
 * is read as a requirements file); a linked folder is walked where it really is. Nothing is skipped, not even
 * `.git`: a file left unread is a file an installer could still be pointed at.
 */
export const walkBundle = async (
  root: string,
  limits: { entries: number; depth: number } = BUNDLE_LIMITS,
): Promise<Walk> => {
  const files: BundleFile[] = [];
  const findings: SkillFinding[] = [];
  const rootReal = await realpath(root);
  const stack: { dir: string; depth: number }[] = [{ dir: rootReal, depth: 0 }];
  let entries = 0;
  while (stack.length > 0) {
    const { dir, depth } = stack.pop()!;
    let listing: Dirent[];
    try {
      listing = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      const rel = relative(rootReal, dir) || ".";
      findings.push(
        fileProblem(rel, "bundle-unreadable", `Cannot list ${rel}: ${(error as NodeJS.ErrnoException).code}`),
      );
      continue;
    }
    for (const entry of listing.toSorted((a, b) => a.name.localeCompare(b.name))) {
      if (++entries > limits.entries) {
        findings.push(
          fileProblem(
            ".",
            "bundle-too-large",
            `The skill holds more than ${limits.entries} files and folders; package-guard does not vet bundles ` +
              `that large`,
          ),
        );
        return { files, findings };
      }
      const path = join(dir, entry.name);
      const rel = relative(rootReal, path);
      if (depth === 0 && entry.name === SKILL_MD) continue;
      if (entry.isDirectory()) {
        if (depth + 1 >= limits.depth)
          findings.push(
            fileProblem(
              rel,
              "bundle-too-deep",
              `${rel} is nested more than ${limits.depth} folders deep; package-guard does not vet deeper`,
            ),
          );
        else stack.push({ dir: path, depth: depth + 1 });
        continue;
      }
      const kind = kindOf(rel);
      if (entry.isSymbolicLink()) {
        const target = await realpath(path).catch(() => null);
        if (target === null || !within(rootReal, target)) {
          findings.push(
            fileProblem(
              rel,
              "symlink-escape",
              `${rel} is a symbolic link ${target === null ? "to nothing" : "leading outside the skill"}; ` +
                `package-guard does not follow it: ship the file itself`,
            ),
          );
          continue;
        }
        const isDir = await stat(target).then(
          (s) => s.isDirectory(),
          () => false,
        );
        if (!isDir && kind !== null) files.push({ rel, path: target, kind });
        continue;
      }
      if (kind === null) continue;
      if (entry.isFile()) files.push({ rel, path, kind });
      else if (kind !== "script?")
        findings.push(
          fileProblem(rel, "bundle-unreadable", `${rel} is not a regular file; package-guard cannot read it`),
        );
    }
  }
  return { files: files.toSorted((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)), findings };
};
