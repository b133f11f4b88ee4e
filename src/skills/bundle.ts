import { readBounded, readHead } from "./bounded-read.js";
import { BUNDLE_LIMITS, walkBundle, type BundleFile, type FileKind } from "./bundle-files.js";
import { fileProblem, SKILL_MD, type Declared, type FileReading, type SkillFinding } from "./findings.js";
import { readSkillDependencies } from "./frontmatter.js";
import { readPep723 } from "./pep723.js";
import { readPylock } from "./pylock.js";
import { readPyproject } from "./pyproject.js";
import { MAX_DEPENDENCIES } from "./python-deps.js";
import { readRequirementsTxt } from "./requirements-txt.js";
import { decodeText } from "./text.js";
import { readUvLock } from "./uv-lock.js";

/** Everything a staged skill declares, from every file that can bring Python packages. */
export type BundleDependencies = {
  /** The SKILL.md frontmatter's `name`, when it is a non-empty string. */
  name: string | null;
  /** In the order found, each requirement text once. */
  declared: Declared[];
  findings: SkillFinding[];
};

type ReadKind = Exclude<FileKind, "script?">;

/** Per file, by kind: dependency files are small; locks of real projects reach a few MB. */
export const MAX_FILE_BYTES: Record<ReadKind, number> = {
  requirements: 256 * 1024,
  pyproject: 256 * 1024,
  "uv-lock": 4 * 1024 * 1024,
  pylock: 4 * 1024 * 1024,
  python: 1024 * 1024,
};
/** All files together: a bundle past this is blocked, not partly vetted. */
export const MAX_BUNDLE_BYTES = 32 * 1024 * 1024;

const SHEBANG = /^#![^\n]*\b(?:python[0-9.]*|uv)\b/;

const readers: Record<ReadKind, (text: string, file: string) => FileReading> = {
  requirements: readRequirementsTxt,
  pyproject: readPyproject,
  "uv-lock": readUvLock,
  pylock: readPylock,
  python: readPep723,
};

/** Bytes read so far across the bundle. */
type Budget = { used: number };

const readOne = async (file: BundleFile, budget: Budget): Promise<FileReading> => {
  let kind: FileKind = file.kind;
  if (kind === "script?") {
    // A file without extension is a script if its shebang runs Python or uv (`uv run --script` reads its block).
    const head = await readHead(file.path, 256);
    if (head === null || !SHEBANG.test(head.toString("latin1"))) return { declared: [], findings: [] };
    kind = "python";
  }
  const read = await readBounded(file.path, MAX_FILE_BYTES[kind]);
  if (!read.ok) {
    const why =
      read.why === "too-large"
        ? `it is ${read.detail}, more than the ${MAX_FILE_BYTES[kind]} bytes package-guard reads`
        : read.detail;
    return {
      declared: [],
      findings: [fileProblem(file.rel, "bundle-unreadable", `${file.rel} cannot be vetted: ${why}`)],
    };
  }
  budget.used += read.bytes.length;
  const decoded = decodeText(read.bytes, file.rel, kind === "python");
  if (!decoded.ok) return { declared: [], findings: [decoded.finding] };
  return readers[kind](decoded.text, file.rel);
};

// Thousands of small files read one after another spend their time waiting on the disk.
const PARALLEL_READS = 8;

/**
 * Every file's reading, in walk order. Once the bytes read pass the bundle's total no further file is started, and
 * the bundle gets one finding for it: the cap bounds the work, not just what is kept.
 */
const readAll = async (files: readonly BundleFile[], total: number): Promise<FileReading[]> => {
  const budget: Budget = { used: 0 };
  const out: FileReading[] = Array.from({ length: files.length }, () => ({ declared: [], findings: [] }));
  let next = 0;
  const worker = async () => {
    while (next < files.length && budget.used <= total) {
      const i = next++;
      out[i] = await readOne(files[i]!, budget);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_READS }, worker));
  if (budget.used > total) {
    out.push({
      declared: [],
      findings: [
        fileProblem(
          ".",
          "bundle-too-large",
          `The skill's files together exceed the ${total} bytes package-guard reads; it cannot be vetted whole`,
        ),
      ],
    });
  }
  return out;
};

/** Each requirement text once; one declared without a marker anywhere is not conditional. */
const merge = (all: Declared[]): Declared[] => {
  const byText = new Map<string, Declared>();
  for (const d of all) {
    const seen = byText.get(d.requirement);
    if (!seen) byText.set(d.requirement, d);
    else if (seen.conditional && !d.conditional)
      byText.set(d.requirement, { requirement: seen.requirement, file: seen.file, line: seen.line });
  }
  return [...byText.values()];
};

/**
 * Reads what a staged skill declares: SKILL.md (`dependencies.python`, uv installers), PEP 723 blocks of its
 * scripts, requirements files, pyproject.toml, uv.lock and pylock.toml. Never throws: every file that cannot be
 * read or parsed, and every bound exceeded, is a critical finding, which blocks the install.
 */
export const readSkillBundle = async (
  sourcePath: string,
  kind: string,
  limits: { entries: number; depth: number; bytes: number } = { ...BUNDLE_LIMITS, bytes: MAX_BUNDLE_BYTES },
): Promise<BundleDependencies> => {
  const skillMd = await readSkillDependencies(sourcePath, kind);
  const declared: Declared[] = skillMd.requirements.map((requirement, i) => ({
    requirement,
    file: SKILL_MD,
    line: skillMd.lines[i] ?? 1,
  }));
  const findings = [...skillMd.findings];
  if (kind === "directory" && !findings.some((f) => f.ruleId === "package-guard.skill-path")) {
    // A folder that is not there already has its finding: SKILL.md is missing.
    const walk = await walkBundle(sourcePath, limits).catch((error: unknown) => ({
      files: [],
      findings:
        (error as NodeJS.ErrnoException).code === "ENOENT"
          ? []
          : [fileProblem(".", "bundle-unreadable", `Cannot list the skill: ${(error as Error).message}`)],
    }));
    findings.push(...walk.findings);
    for (const reading of await readAll(walk.files, limits.bytes)) {
      declared.push(...reading.declared);
      findings.push(...reading.findings);
    }
  }
  const unique = merge(declared);
  if (unique.length > MAX_DEPENDENCIES) {
    const first = unique[MAX_DEPENDENCIES]!;
    findings.push(
      fileProblem(
        first.file,
        "too-many-dependencies",
        `The skill declares ${unique.length} Python requirements across its files; package-guard vets at most ` +
          `${MAX_DEPENDENCIES}`,
        first.line,
      ),
    );
  }
  return { name: skillMd.name, declared: unique.slice(0, MAX_DEPENDENCIES), findings };
};
