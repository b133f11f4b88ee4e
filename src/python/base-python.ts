import { PackageGuardError } from "../errors.js";
import { childEnv } from "../util/env.js";
import { succeeded, type Runner } from "../util/exec.js";

/** The configured interpreter as Python itself reports it: what every venv must link to, and what runs our tools. */
export type BaseInterpreter = {
  /** The path we were configured with and start (may be a launcher such as a pyenv shim). */
  command: string;
  /** realpath(sys.executable): the binary a venv's bin/python must resolve to. */
  executable: string;
  /** sys.executable as the interpreter reports it (what installers write into script shebangs). */
  sysExecutable: string;
  version: string;
};

const QUERY_TIMEOUT_MS = 15_000;
// -I -S: no user site, no environment, no site-packages (.pth files) even of the base: only the binary answers.
const QUERY = [
  "-I",
  "-S",
  "-c",
  "import json, os, sys; print(json.dumps({'executable': os.path.realpath(sys.executable), " +
    "'sysExecutable': sys.executable, 'version': '%d.%d.%d' % sys.version_info[:3]}))",
];

const unusable = (command: string, why: string): PackageGuardError =>
  new PackageGuardError("INSTALL_FAILED", `The Python interpreter '${command}' could not be queried: ${why}`, {
    details: { reason: "python-query" },
  });

/** Asks the base interpreter (never a skill's) where its binary is. */
export const queryBaseInterpreter = async (runner: Runner, command: string): Promise<BaseInterpreter> => {
  const result = await runner(command, QUERY, { timeoutMs: QUERY_TIMEOUT_MS, env: childEnv() });
  if (!succeeded(result)) throw unusable(command, result.stderr.trim().slice(0, 200) || "no answer");
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "");
  } catch {
    throw unusable(command, "unexpected output");
  }
  const { executable, sysExecutable, version } = (parsed ?? {}) as Record<string, unknown>;
  if (
    typeof executable !== "string" ||
    !executable.startsWith("/") ||
    typeof sysExecutable !== "string" ||
    typeof version !== "string"
  )
    throw unusable(command, "unexpected output");
  return { command, executable, sysExecutable, version };
};
