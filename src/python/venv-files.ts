import { lstat, readdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, normalize, relative, sep } from "node:path";
import { normalizeName } from "../policy/names.js";

/**
 * What wheels wrote into a venv, from the RECORD of each installed distribution.
 *
 * Decided (README, threat model): a wheel may write into site-packages, bin/ (its scripts), include/ and share/.
 * It may not write the venv's control files: pyvenv.cfg, bin/python*, bin/activate*, lib64, or a .pth file outside
 * site-packages, nor anything outside the venv. A .pth inside site-packages is allowed: it runs only in the skill's
 * own Python processes, which import the same package's code anyway, and package-guard never starts them.
 */
export type ControlWrite = { package: string; path: string };

const CONTROL = [/^pyvenv\.cfg$/, /^bin\/python[^/]*$/, /^bin\/activate[^/]*$/, /^lib64$/];

const sitePackagesDirs = async (venvDir: string): Promise<string[]> => {
  const lib = join(venvDir, "lib");
  const pythons = (await readdir(lib).catch(() => [] as string[])).filter((d) => /^python\d/.test(d));
  return pythons.map((py) => join(lib, py, "site-packages"));
};

// RECORD is CSV: a path containing a comma or a quote is quoted, with "" for a quote.
const recordPath = (line: string): string | null => {
  if (line === "") return null;
  if (!line.startsWith('"')) return line.split(",")[0] ?? null;
  const match = /^"((?:[^"]|"")*)"/.exec(line);
  return match ? match[1]!.replace(/""/g, '"') : null;
};

const forbidden = (venvDir: string, site: string, entry: string): string | null => {
  const absolute = isAbsolute(entry) ? normalize(entry) : join(site, entry);
  const rel = relative(venvDir, absolute);
  if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) return absolute;
  const posix = rel.split(sep).join("/");
  if (CONTROL.some((re) => re.test(posix))) return posix;
  if (posix.endsWith(".pth") && dirname(absolute) !== site) return posix;
  return null;
};

/** Every file an installed distribution says it wrote outside what wheels may write (see above). */
export const controlFileWrites = async (venvDir: string): Promise<ControlWrite[]> => {
  const out: ControlWrite[] = [];
  for (const site of await sitePackagesDirs(venvDir)) {
    for (const entry of await readdir(site).catch(() => [] as string[])) {
      if (!entry.endsWith(".dist-info")) continue;
      const record = await readFile(join(site, entry, "RECORD"), "utf8").catch(() => null);
      if (record === null) continue;
      const name = normalizeName(/^(.+)-[^-]+\.dist-info$/.exec(entry)?.[1] ?? entry);
      for (const line of record.split(/\r?\n/)) {
        const path = recordPath(line.trim());
        const bad = path === null ? null : forbidden(venvDir, site, path);
        if (bad !== null) out.push({ package: name, path: bad });
      }
    }
  }
  return out;
};

const MAX_SCRIPT_BYTES = 1024 * 1024;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Installing with the base interpreter and the venv as prefix makes uv and pip write that interpreter into the
 * shebang of console scripts; pointed back at the venv's own python, the scripts run in the skill's venv as usual.
 * Only the first lines change (a long path is wrapped in a /bin/sh trampoline on the second line).
 */
export const repointScripts = async (venvDir: string, installers: readonly string[]): Promise<void> => {
  const bin = join(venvDir, "bin");
  const own = join(bin, "python");
  const from = [...new Set(installers)].filter((p) => p !== own).toSorted((a, b) => b.length - a.length);
  for (const name of await readdir(bin).catch(() => [] as string[])) {
    const path = join(bin, name);
    const info = await lstat(path).catch(() => null);
    if (!info?.isFile() || info.size > MAX_SCRIPT_BYTES || basename(path).startsWith("python")) continue;
    const text = await readFile(path, "utf8").catch(() => null);
    if (text === null || !text.startsWith("#!")) continue;
    const lines = text.split("\n");
    let changed = false;
    for (let i = 0; i < Math.min(3, lines.length); i++) {
      for (const interpreter of from) {
        // The whole path only (after "#!" or a quote or space, before a quote, space or the end): never a prefix of it.
        const re = new RegExp(`(^#!|['"\\s])${escapeRegExp(interpreter)}(?=$|['"\\s])`, "g");
        const next = lines[i]!.replace(re, (_m, lead: string) => `${lead}${own}`);
        if (next !== lines[i]) {
          lines[i] = next;
          changed = true;
        }
      }
    }
    if (changed) await writeFile(path, lines.join("\n"));
  }
};
