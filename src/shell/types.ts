import type { Node } from "./parser.js";

/** One shell word after quoting, escapes and expansions were applied as far as they can be known statically. */
export type Field = {
  /** The value when `known`; otherwise the word's source text. */
  text: string;
  /** True when every part of the word is literal (no variable, substitution or unknown expansion). */
  known: boolean;
  /** An unquoted *, ? or [: the shell may expand the word to file names matching it. */
  glob: boolean;
  /** The word as written. */
  source: string;
  /** The syntax node the word came from (a process substitution is followed to the commands inside it). */
  node: Node | null;
};

/** What a finding is about. */
export type FindingKind =
  /** A package install (or a tool that installs on its own, such as npx or uv run). */
  | "install"
  /** Something the parser cannot see through (eval, a dynamic command, network content run as code). */
  | "opaque"
  /** The guard's own controls (our CLI's mutating commands, approvals, the plugin's config). */
  | "guard"
  /** A write into the guard's state folder or config. */
  | "protected";

/** Python's install families (the ones install_package can stand in for with a Python request). */
export const PYTHON_INSTALL_FAMILIES = [
  "pip",
  "uv",
  "pipx",
  "pipenv",
  "poetry",
  "pdm",
  "hatch",
  "conda",
  "pixi",
  "rye",
  "easy_install",
  "setuptools",
] as const;
/** Node's package managers whose plain installs an npm component install can stand in for. */
export const NODE_INSTALL_FAMILIES = ["npm", "pnpm", "yarn", "bun"] as const;
/** Install families, as the README names them. */
export const INSTALL_FAMILIES = [
  ...PYTHON_INSTALL_FAMILIES,
  ...NODE_INSTALL_FAMILIES,
  "deno",
  "corepack",
  "system",
] as const;
export type InstallFamily = (typeof INSTALL_FAMILIES)[number];

export type Finding = {
  kind: FindingKind;
  /** The install family, or for other kinds a short label ("eval", "dynamic-command", "guard-cli", …). */
  family: string;
  /** The command (as written) the finding is about. */
  command: string;
  /** Why, in words an agent or operator can act on. */
  reason: string;
  /** For a plain `pip install a b`: the requirement words, so the service can suggest install_package calls. */
  packages?: string[];
};

/** What the gate knows about where the guard keeps its state, to tell writes there apart. */
export type PathContext = {
  /** Folders and files no command may write: the guard's data folder, venvs, audit log, whitelist file. */
  protectedPaths: readonly string[];
  /** OpenClaw's config file: writes are refused (it holds the guard's own block). */
  configFile: string;
  home: string;
  stateDir: string;
  /** Folders a relative path may be relative to (the exec workdir, the agent workspaces). */
  cwds: readonly string[];
};

export type AnalyzeOptions = { paths?: PathContext };

export type Analysis = {
  findings: Finding[];
  /** The grammar could not read part of the command. */
  parseError: boolean;
};
