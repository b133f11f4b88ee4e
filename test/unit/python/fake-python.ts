import { chmod, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseConfig, type PackageGuardConfig } from "../../../src/config.js";
import type { RunOptions, RunResult, Runner } from "../../../src/util/exec.js";

export type Call = {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string | undefined;
  files: Record<string, string>;
};

export type FakeOptions = {
  /** stdout of `uv pip compile` for the requirements text (and constraints text, if any). */
  compile?: (
    requirements: string,
    constraints: string | null,
  ) => { stdout: string; stderr?: string; exitCode?: number };
  /** stdout of `pip install --dry-run --report -` (pip installer). */
  pipReport?: (requirements: string) => string;
  /** Make `uv pip sync` / `pip install` fail for this pin file content. */
  failSync?: (pinsFile: string) => boolean;
  /** What `uv pip sync` really puts in the venv for this pin file (default: exactly the pins): a broken installer. */
  installs?: (pinsFile: string) => string;
  /** What the interpreter reports as sys.executable (default: the configured python itself, not a launcher). */
  sysExecutable?: string;
};

const ok = (command: string, stdout = "", stderr = "", exitCode = 0): RunResult => ({
  command,
  exitCode,
  stdout,
  stderr,
  timedOut: false,
  canceled: false,
  signal: undefined,
  spawnError: undefined,
});

const argAfter = (args: readonly string[], flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};

const sitePackages = (venvPython: string): string =>
  join(dirname(dirname(venvPython)), "lib", "python3.11", "site-packages");

/** A venv as uv and `python -m venv` make it: bin/python a link to the base interpreter, pyvenv.cfg, site-packages. */
const makeVenv = async (dir: string, base: string, cfg: string, clear: boolean): Promise<void> => {
  if (clear) await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, "bin"), { recursive: true });
  await symlink(base, join(dir, "bin", "python"));
  await symlink("python", join(dir, "bin", "python3"));
  await mkdir(join(dir, "lib", "python3.11", "site-packages"), { recursive: true });
  await symlink("lib", join(dir, "lib64"));
  await writeFile(join(dir, "pyvenv.cfg"), cfg);
};

/**
 * Writes a dist-info folder per `name==version` line, removing every other one (`uv pip sync`) or not (`pip install`).
 */
const syncSitePackages = async (venvPython: string, pinsText: string, exact = true): Promise<void> => {
  const site = sitePackages(venvPython);
  if (exact) await rm(site, { recursive: true, force: true });
  await mkdir(site, { recursive: true });
  for (const match of pinsText.matchAll(/^([a-z0-9-]+)==(\S+)/gm)) {
    const dist = join(site, `${match[1]!.replace(/-/g, "_")}-${match[2]}.dist-info`);
    await mkdir(dist, { recursive: true });
    await writeFile(join(dist, "METADATA"), `Metadata-Version: 2.1\nName: ${match[1]}\nVersion: ${match[2]}\n\n`);
  }
};

/**
 * A stand-in for uv and python that records every call (argv, env, the files it was handed) and mimics
 * just enough behaviour: versions, venv creation, compile output, sync into site-packages.
 */
export const fakePython = async (options: FakeOptions = {}, raw: Record<string, unknown> = {}) => {
  const root = await mkdtemp(join(tmpdir(), "pg-fake-"));
  const bin = join(root, "bin");
  await mkdir(bin);
  const uv = join(bin, "uv");
  const python = join(bin, "python3");
  for (const tool of [uv, python]) {
    await writeFile(tool, "#!/bin/sh\nexit 1\n");
    await chmod(tool, 0o755);
  }
  const calls: Call[] = [];
  const base = await realpath(python);
  const runner: Runner = async (file, args, opts: RunOptions) => {
    const files: Record<string, string> = {};
    for (const a of args) if (a.startsWith(root) && /\.(in|txt)$/.test(a)) files[a] = await readFile(a, "utf8");
    calls.push({ file, args: [...args], env: { ...opts.env }, cwd: opts.cwd, files });
    const command = [file, ...args].join(" ");
    if (args[0] === "--version") return ok(command, file === uv ? "uv 0.13.9 (fake)\n" : "Python 3.11.7\n");
    if (file === python && args[0] === "-I" && args[1] === "-S")
      return ok(
        command,
        `${JSON.stringify({ executable: base, sysExecutable: options.sysExecutable ?? python, version: "3.11.7" })}\n`,
      );
    if (file === uv && args[0] === "venv") {
      await makeVenv(args[1]!, base, "home = /fake\nversion_info = 3.11.7\n", args.includes("--clear"));
      return ok(command);
    }
    if (file === uv && args[1] === "compile") {
      const constraints = argAfter(args, "--constraints");
      const out = options.compile?.(files[args[2]!] ?? "", constraints ? (files[constraints] ?? null) : null) ?? {
        stdout: "",
      };
      return ok(command, out.stdout, out.stderr ?? "", out.exitCode ?? 0);
    }
    if (file === uv && args[1] === "sync") {
      const text = files[args[2]!] ?? "";
      if (options.failSync?.(text)) return ok(command, "", "error: Failed to download\n  cause: injected\n", 1);
      // The target: --prefix (with the base interpreter), or the venv of the --python given (older argv).
      const target = argAfter(args, "--prefix");
      const venvPython = target ? join(target, "bin", "python") : argAfter(args, "--python")!;
      await syncSitePackages(venvPython, options.installs?.(text) ?? text);
      return ok(command);
    }
    if (file === python && args[0] === "-m" && args[1] === "venv") {
      const dir = args.at(-1)!;
      await makeVenv(dir, base, "home = /fake\nversion = 3.11.7\n", args.includes("--clear"));
      // The pip tool venv gets pip; a skill's venv (--without-pip) gets nothing.
      if (!args.includes("--without-pip")) await syncSitePackages(join(dir, "bin", "python"), "pip==24.0\n");
      return ok(command);
    }
    if (file.endsWith("/bin/python") && args[0] === "-m" && args[1] === "pip") {
      const sub = args.find((a) => a === "install" || a === "uninstall" || a === "--version");
      const req = argAfter(args, "--requirement");
      if (sub === "--version") return ok(command, "pip 24.0\n");
      if (sub === "install" && args.includes("--dry-run"))
        return ok(command, options.pipReport?.(files[req!] ?? "") ?? "{}");
      if (sub === "install") {
        if (options.failSync?.(files[req!] ?? "")) return ok(command, "", "ERROR: injected\n", 1);
        await syncSitePackages(join(argAfter(args, "--prefix")!, "bin", "python"), files[req!] ?? "", false);
        return ok(command);
      }
    }
    return ok(command, "", `fake: unexpected call ${command}`, 2);
  };
  const config: PackageGuardConfig = parseConfig(
    {
      python: { uv, python, lockTimeoutMs: 2000, ...(raw.python as object) },
      index: { url: "https://index.invalid/simple", ...(raw.index as object) },
    },
    join(root, "state"),
  );
  return { root, uv, python, calls, runner, config, cleanup: () => rm(root, { recursive: true, force: true }) };
};

export const hashOf = (c: string): string => `sha256:${c.repeat(64).slice(0, 64)}`;

/** uv-style compile output for the given pins. */
export const compiled = (pins: { name: string; version: string; hash?: string }[]): string =>
  pins.map((p) => `${p.name}==${p.version} \\\n    --hash=${p.hash ?? hashOf("a")}\n`).join("");
