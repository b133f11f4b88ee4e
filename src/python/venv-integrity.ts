import { createHash } from "node:crypto";
import { lstat, readdir, readFile, readlink, realpath } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import { isRecord } from "../util/is-record.js";
import type { BaseInterpreter } from "./base-python.js";
import type { SkillPaths } from "./layout.js";

/**
 * A skill's code can rewrite its own venv: replace bin/python with a script, edit pyvenv.cfg, or turn a folder into
 * a symlink to another skill's venv. Before every operation the venv is compared with what package-guard made;
 * anything else means it is rebuilt. SECURITY: this only reads; nothing in the venv is executed.
 */
type Fingerprint = { executable: string; cfgSha256: string };

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

const kind = async (path: string): Promise<"file" | "dir" | "link" | "other" | null> => {
  const s = await lstat(path).catch(() => null);
  if (s === null) return null;
  return s.isSymbolicLink() ? "link" : s.isFile() ? "file" : s.isDirectory() ? "dir" : "other";
};

/** Written right after package-guard created the venv. */
export const recordFingerprint = async (paths: SkillPaths, base: BaseInterpreter): Promise<void> => {
  const cfg = await readFile(join(paths.venv, "pyvenv.cfg"));
  const fingerprint: Fingerprint = { executable: base.executable, cfgSha256: sha256(cfg) };
  await writeFileAtomic(paths.fingerprint, `${JSON.stringify(fingerprint)}\n`);
};

const readFingerprint = async (paths: SkillPaths): Promise<Fingerprint | null> => {
  const text = await readFile(paths.fingerprint, "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return isRecord(value) && typeof value.executable === "string" && typeof value.cfgSha256 === "string"
      ? { executable: value.executable, cfgSha256: value.cfgSha256 }
      : null;
  } catch {
    return null;
  }
};

const interpreterProblems = async (bin: string, executable: string): Promise<string[]> => {
  const problems: string[] = [];
  const names = (await readdir(bin).catch(() => [] as string[])).filter((n) => n.startsWith("python"));
  if (!names.includes("python")) problems.push("bin/python is missing");
  for (const name of names) {
    const path = join(bin, name);
    if ((await kind(path)) !== "link") {
      problems.push(`bin/${name} is not a link to the base interpreter`);
      continue;
    }
    const target = await realpath(path).catch(() => null);
    if (target !== executable) problems.push(`bin/${name} resolves to ${target ?? "nothing"}, not ${executable}`);
  }
  return problems;
};

/** What differs from the venv package-guard made (empty when it is intact). */
export const venvProblems = async (paths: SkillPaths, base: BaseInterpreter): Promise<string[]> => {
  const fingerprint = await readFingerprint(paths);
  if (fingerprint === null) return ["package-guard has no record of creating it"];
  if (fingerprint.executable !== base.executable)
    return [`it was made for ${fingerprint.executable}, the base interpreter is now ${base.executable}`];
  const problems: string[] = [];
  // A symlinked folder could lead an install into another skill's venv.
  for (const dir of ["", "bin", "lib"]) {
    if ((await kind(join(paths.venv, dir))) !== "dir") problems.push(`${dir || "the venv"} is not a plain folder`);
  }
  for (const py of (await readdir(join(paths.venv, "lib")).catch(() => [] as string[])).filter((d) =>
    d.startsWith("python"),
  )) {
    for (const dir of [join("lib", py), join("lib", py, "site-packages")]) {
      const k = await kind(join(paths.venv, dir));
      if (k !== null && k !== "dir") problems.push(`${dir} is not a plain folder`);
    }
  }
  const lib64 = join(paths.venv, "lib64");
  const lib64Kind = await kind(lib64);
  if (lib64Kind !== null && (lib64Kind !== "link" || (await readlink(lib64)) !== "lib"))
    problems.push("lib64 is not the link to lib");
  const cfgPath = join(paths.venv, "pyvenv.cfg");
  if ((await kind(cfgPath)) !== "file") problems.push("pyvenv.cfg is not a plain file");
  else if (sha256(await readFile(cfgPath)) !== fingerprint.cfgSha256) problems.push("pyvenv.cfg was changed");
  problems.push(...(await interpreterProblems(join(paths.venv, "bin"), base.executable)));
  return problems;
};
