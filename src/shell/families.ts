import { fieldIs, hasOption, positionals, type Positional, words } from "./options.js";
import type { Field, InstallFamily } from "./types.js";
import { globRegExp } from "./words.js";

/** What a package-manager command does, as far as the gate cares. */
export type FamilyVerdict =
  | { install: true; family: InstallFamily; reason: string; packages?: string[] }
  /** A subcommand that runs another command (poetry run, conda run, pnpm exec …): the gate looks at that one. */
  | { inner: Field[] }
  | null;

type Analyzer = (args: Field[]) => FamilyVerdict;

const set = (...items: string[]): ReadonlySet<string> => new Set(items);
const first = (ps: Positional[]): Field | undefined => ps[0]?.field;
const any = (ps: Positional[], verbs: ReadonlySet<string>): Field | undefined =>
  ps.find((p) => fieldIs(p.field, verbs, globRegExp))?.field;
const install = (family: InstallFamily, reason: string, packages?: string[]): FamilyVerdict =>
  packages ? { install: true, family, reason, packages } : { install: true, family, reason };
const word = (f: Field | undefined): string => (f ? (f.known ? f.text : f.source) : "");

// --- Python ----------------------------------------------------------------------------------------------------

const PIP_VALUE_OPTIONS = words(
  "--log --log-file --proxy --retries --timeout --exists-action --trusted-host --cert --client-cert " +
    "--cache-dir --python --use-feature --use-deprecated --keyring-provider --resume-retries -r " +
    "--requirement -c --constraint -e --editable -i --index-url --extra-index-url -f --find-links -t " +
    "--target --platform --python-version --implementation --abi --root --prefix --src --upgrade-strategy " +
    "--global-option --config-settings -C --no-binary --only-binary --progress-bar --report -d --dest -w " +
    "--wheel-dir --format --path --group",
);
const PIP_INSTALL_VERBS = set("install", "download", "wheel");
// Options that leave `pip install <names>` a plain request install_package can take over.
const PIP_PLAIN_FLAGS = words(
  "-q --quiet -v --verbose -U --upgrade --no-input --disable-pip-version-check --break-system-packages " +
    "--user --no-cache-dir",
);

/**
 * The package words after an install verb when nothing else is asked for (only literal words and harmless flags):
 * what an install_package call can stand in for. Otherwise undefined.
 */
const plainNames = (args: Field[], verb: Field, harmless: ReadonlySet<string>): string[] | undefined => {
  const rest = args.slice(args.indexOf(verb) + 1);
  const plain = rest.every((f) => f.known && !f.glob && (!f.text.startsWith("-") || harmless.has(f.text)));
  const names = rest.filter((f) => !f.text.startsWith("-")).map((f) => f.text);
  return plain && names.length > 0 ? names : undefined;
};

/** pip, pip3, pip3.12, `python -m pip`, `uv pip` (install/sync share the logic). */
export const pipVerdict = (
  args: Field[],
  family: InstallFamily = "pip",
  prefix = "pip",
  installVerbs: ReadonlySet<string> = PIP_INSTALL_VERBS,
): FamilyVerdict => {
  const ps = positionals(args, PIP_VALUE_OPTIONS);
  const verb = any(ps, installVerbs);
  if (!verb) return null;
  const what = word(verb);
  const reason =
    what === "install"
      ? `\`${prefix} install\` installs Python packages`
      : `\`${prefix} ${what}\` fetches (and may build) Python packages`;
  return install(family, reason, what === "install" ? plainNames(args, verb, PIP_PLAIN_FLAGS) : undefined);
};

const UV_VALUE_OPTIONS = words(
  "--cache-dir --python-preference --color --directory --project --config-file --allow-insecure-host -p " +
    "--python --with --with-requirements --with-editable --from --index --index-url -i --extra-index-url " +
    "--default-index --find-links -f --package --extra --group --only-group --no-group --env-file " +
    "--index-strategy --keyring-provider --resolution --prerelease --exclude-newer --link-mode -C " +
    "--config-setting --refresh-package --reinstall-package --upgrade-package -P -c --constraint " +
    "--constraints --override --overrides -r --requirements -e --editable -t --target --prefix -o " +
    "--output-file --script",
);
const UV_INSTALLS = words("add sync remove run build format");

const uvVerdict: Analyzer = (args) => {
  const ps = positionals(args, UV_VALUE_OPTIONS);
  const sub = first(ps);
  if (!sub) return null;
  if (!sub.known) return install("uv", `\`uv ${sub.source}\` cannot be read: it may install`);
  const second = ps[1]?.field;
  if (fieldIs(sub, set("pip"), globRegExp)) {
    const rest = args.slice(ps[0]!.index + 1);
    if (fieldIs(second, set("install", "sync"), globRegExp))
      return pipVerdict(rest, "uv", "uv pip", set("install", "sync"));
    return null;
  }
  if (fieldIs(sub, UV_INSTALLS, globRegExp))
    return install(
      "uv",
      sub.text === "run"
        ? "`uv run` installs the project's dependencies, `--with` packages and PEP 723 script dependencies"
        : `\`uv ${sub.text}\` installs Python packages into a project environment`,
    );
  if (fieldIs(sub, set("tool"), globRegExp) && fieldIs(second, set("install", "run", "upgrade"), globRegExp))
    return install("uv", `\`uv tool ${second!.text}\` installs a Python tool and its dependencies`);
  if (fieldIs(sub, set("python"), globRegExp) && fieldIs(second, set("install", "upgrade"), globRegExp))
    return install("uv", "`uv python install` downloads and installs Python interpreters");
  if (fieldIs(sub, set("self"), globRegExp) && fieldIs(second, set("update"), globRegExp))
    return install("uv", "`uv self update` replaces uv with a downloaded build");
  if (fieldIs(sub, set("venv"), globRegExp) && hasOption(args, "--seed"))
    return install("uv", "`uv venv --seed` installs pip and setuptools from the index");
  return null;
};

const uvxVerdict: Analyzer = (args) =>
  args.length === 0 || (args.length === 1 && hasOption(args, "--version", "--help", "-h", "-V"))
    ? null
    : install("uv", "`uvx` (uv tool run) installs the tool it runs and its dependencies");

const verbs =
  (family: InstallFamily, installVerbs: ReadonlySet<string>, runVerbs: ReadonlySet<string> = NONE) =>
  (args: Field[], name: string): FamilyVerdict => {
    const ps = positionals(args, COMMON_VALUE_OPTIONS);
    const runAt = ps.findIndex((p) => fieldIs(p.field, runVerbs));
    const scan = runAt >= 0 ? ps.slice(0, runAt) : ps;
    const verb = any(scan, installVerbs);
    if (verb) return install(family, `\`${name} ${word(verb)}\` installs packages`);
    // The command after `run` and run's own options (`conda run -n base pip …`).
    const command = ps[runAt + 1];
    if (runAt >= 0 && command) return { inner: args.slice(command.index) };
    return null;
  };
const NONE: ReadonlySet<string> = new Set();
const COMMON_VALUE_OPTIONS = words(
  "-n --name -p --prefix -c --channel --directory -C --project -e --env --python -r --root-prefix " +
    "--file --manifest-path",
);

/** Tools where everything installs except a few read-only subcommands. */
const allExcept =
  (family: InstallFamily, readOnly: ReadonlySet<string>) =>
  (args: Field[], name: string): FamilyVerdict => {
    const sub = first(positionals(args, COMMON_VALUE_OPTIONS));
    if (!sub) return null;
    if (sub.known && !sub.glob && readOnly.has(sub.text)) return null;
    return install(family, `\`${name} ${word(sub)}\` may create an environment and install packages into it`);
  };

const setupPyVerdict = (args: Field[]): FamilyVerdict => {
  const verb = any(positionals(args), set("install", "develop", "easy_install", "bdist_egg"));
  return verb
    ? install("setuptools", `\`setup.py ${verb.text}\` builds and installs a package, running its code`)
    : null;
};

// --- Node --------------------------------------------------------------------------------------------------

const NPM_VALUE_OPTIONS = words(
  "--prefix --registry --cache --userconfig --globalconfig -w --workspace --loglevel --omit --include " +
    "--save-prefix --tag --otp --scope -C --dir --filter --reporter --cwd",
);
const NPM_INSTALLS = words(
  "install i in ins inst insta instal isnt isnta isntal isntall add ci clean-install ic install-clean " +
    "isntall-clean install-test it install-ci-test cit clean-install-test sit update up upgrade udpate " +
    "exec x rebuild rb link ln dedupe ddp create",
);

// Options that leave `npm install <names>` a plain request an npm component install can take over.
const NODE_PLAIN_FLAGS = words(
  "-D --save-dev -E --save-exact -S --save -O --save-optional -P --save-prod --no-save -g --global --no-fund " +
    "--no-audit --silent -s --quiet -q --ignore-scripts --exact --dev",
);
const NODE_ADD_VERBS = set("install", "i", "add", "a");

/** The package words of `<pm> install|add <names>` when nothing else is asked for (else undefined). */
const nodeNames = (args: Field[], verb: Field): string[] | undefined =>
  NODE_ADD_VERBS.has(verb.text) ? plainNames(args, verb, NODE_PLAIN_FLAGS) : undefined;

const npmVerdict: Analyzer = (args) => {
  const ps = positionals(args, NPM_VALUE_OPTIONS);
  const verb = any(ps, NPM_INSTALLS);
  if (verb) {
    if (["exec", "x"].includes(verb.text) && hasOption(args, "--no", "--no-install"))
      return { inner: args.slice(args.indexOf(verb) + 1).filter((f) => !["--no", "--no-install"].includes(f.text)) };
    return install(
      "npm",
      ["exec", "x"].includes(verb.text)
        ? `\`npm ${verb.text}\` downloads and runs a package`
        : `\`npm ${verb.text}\` installs packages (and runs their install scripts)`,
      nodeNames(args, verb),
    );
  }
  const sub = first(ps);
  // `npm init <initializer>` is `npm exec create-<initializer>`; `npm init` alone only writes package.json.
  if (fieldIs(sub, set("init", "innit"), globRegExp) && ps.length > 1)
    return install("npm", "`npm init <initializer>` downloads and runs the create-<initializer> package");
  if (fieldIs(sub, set("audit"), globRegExp) && fieldIs(ps[1]?.field, set("fix"), globRegExp))
    return install("npm", "`npm audit fix` installs package updates");
  return null;
};

const npxVerdict: Analyzer = (args) => {
  if (args.length === 0 || (args.length === 1 && hasOption(args, "--version", "--help", "-h", "-v"))) return null;
  // --no (formerly --no-install) never installs: only a package already present runs.
  if (hasOption(args, "--no", "--no-install"))
    return { inner: args.filter((f) => !["--no", "--no-install"].includes(f.text) && !f.text.startsWith("-")) };
  return install("npm", "`npx` downloads and runs a package that is not installed yet");
};

const PNPM_INSTALLS = words(
  "add install i update up upgrade dlx create fetch rebuild rb install-test it import dedupe link ln " +
    "self-update setup",
);
const pnpmVerdict: Analyzer = (args) => {
  const ps = positionals(args, NPM_VALUE_OPTIONS);
  const verb = any(ps, PNPM_INSTALLS);
  if (verb) return install("pnpm", `\`pnpm ${verb.text}\` installs or downloads packages`, nodeNames(args, verb));
  if (fieldIs(first(ps), set("env"), globRegExp) && fieldIs(ps[1]?.field, set("use", "add"), globRegExp))
    return install("pnpm", "`pnpm env use` downloads and installs Node.js");
  if (fieldIs(first(ps), set("exec"), globRegExp)) return { inner: args.slice(ps[0]!.index + 1) };
  return null;
};

const YARN_INSTALLS = words(
  "add install up upgrade upgrade-interactive dlx create global import set plugin workspaces link rebuild",
);
const yarnVerdict: Analyzer = (args) => {
  const ps = positionals(args, NPM_VALUE_OPTIONS);
  if (ps.length === 0) {
    return hasOption(args, "--version", "-v", "--help", "-h")
      ? null
      : install("yarn", "`yarn` with no command installs the project's dependencies");
  }
  const verb = any(ps, YARN_INSTALLS);
  if (verb) return install("yarn", `\`yarn ${verb.text}\` installs or downloads packages`, nodeNames(args, verb));
  if (fieldIs(first(ps), set("exec", "node"), globRegExp)) {
    const rest = args.slice(ps[0]!.index + 1);
    return { inner: first(ps)!.text === "node" ? [{ ...first(ps)!, text: "node" }, ...rest] : rest };
  }
  return null;
};

const BUN_INSTALLS = words("install i add a update upgrade x create c link patch");
const BUN_SAFE = words("build pm help init outdated audit info publish completions");
const bunVerdict: Analyzer = (args) => {
  const ps = positionals(args, NPM_VALUE_OPTIONS);
  const verb = any(ps, BUN_INSTALLS);
  if (verb) return install("bun", `\`bun ${verb.text}\` installs or downloads packages`, nodeNames(args, verb));
  if (fieldIs(first(ps), set("pm"), globRegExp) && fieldIs(ps[1]?.field, set("trust"), globRegExp))
    return install("bun", "`bun pm trust` runs the install scripts of dependencies");
  if (args.length === 0 || hasOption(args, "--version", "-v", "--help", "-h", "--revision")) return null;
  if (first(ps) && fieldIs(first(ps), BUN_SAFE)) return null;
  // Bun's runtime installs missing imports on the fly unless told not to.
  if (hasOption(args, "--no-install") || args.some((f) => f.known && f.text === "--install=disable")) return null;
  return install(
    "bun",
    "`bun` installs any package a script imports that is not installed yet (auto-install); add --no-install",
  );
};

const DENO_INSTALLS = set("install", "i", "add", "outdated", "x");
const denoVerdict: Analyzer = (args) => {
  const ps = positionals(args, words("--config -c --import-map --lock --cert --location -L"));
  const verb = any(ps.slice(0, 1), DENO_INSTALLS);
  if (verb) return install("deno", `\`deno ${verb.text}\` installs packages`);
  const remote = args.find((f) => /^(npm|jsr):|^https?:\/\//i.test(f.known ? f.text : f.source));
  return remote ? install("deno", `\`deno\` downloads and runs '${word(remote)}'`) : null;
};

const corepackVerdict: Analyzer = (args) => {
  const sub = first(positionals(args));
  if (!sub) return null;
  if (fieldIs(sub, words("npm pnpm yarn pnpx npx yarnpkg"), globRegExp))
    return { inner: args.slice(args.indexOf(sub)) };
  if (fieldIs(sub, words("install prepare use up hydrate pack"), globRegExp))
    return install("corepack", `\`corepack ${sub.text}\` downloads package managers`);
  return null;
};

// --- OS package managers: only their Python and Node packages are the guard's business --------------------------

const TOOL_PACKAGES =
  "pipx|uv|poetry|pdm|hatch|yarn|pnpm|bun|conda|miniconda[0-9]*|anaconda|micromamba|mamba|pixi|deno|corepack|pipenv";
const PYTHON_OR_NODE_PACKAGE = new RegExp(
  [
    "^(python[0-9.]*|py[0-9]*|pypy[0-9]*)-",
    "-python[0-9.]*$",
    "^python[0-9.]*$",
    "python[0-9]*packages\\.",
    "^node(js)?-",
    "^nodejs$",
    "^npm$",
    "nodepackages\\.",
    `^(${TOOL_PACKAGES})$`,
  ].join("|"),
  "i",
);

const systemVerdict =
  (installVerbs: ReadonlySet<string>, installFlags: string[] = []) =>
  (args: Field[], name: string): FamilyVerdict => {
    const ps = positionals(args, words("-o --option -t --target-release -c -f --file -A --attr"));
    const flagged = installFlags.length > 0 && hasOption(args, ...installFlags);
    const at = flagged ? -1 : ps.findIndex((p) => fieldIs(p.field, installVerbs));
    if (!flagged && at < 0) return null;
    const names = ps.slice(at + 1).map((p) => (p.field.known ? p.field.text : p.field.source));
    const hit = names.find(
      (n) => PYTHON_OR_NODE_PACKAGE.test(n.replace(/^.*[#/]/, "")) || (/python|node/i.test(n) && /[#.]/.test(n)),
    );
    return hit
      ? install("system", `\`${name}\` installs '${hit}', a Python or Node package outside package-guard`)
      : null;
  };

/** Package managers by program name (see programName). */
export const FAMILY_ANALYZERS: ReadonlyMap<string, (args: Field[], name: string) => FamilyVerdict> = new Map<
  string,
  (args: Field[], name: string) => FamilyVerdict
>([
  ["uv", uvVerdict],
  ["uvx", uvxVerdict],
  [
    "pipx",
    verbs(
      "pipx",
      words("install install-all inject upgrade upgrade-all upgrade-shared reinstall reinstall-all run runpip"),
    ),
  ],
  ["pipenv", verbs("pipenv", set("install", "sync", "update", "upgrade"), set("run"))],
  ["poetry", verbs("poetry", set("install", "add", "update", "sync", "self"), set("run"))],
  ["pdm", verbs("pdm", words("install add sync update self py python"), set("run"))],
  ["hatch", allExcept("hatch", words("version status config dep project clean new help"))],
  ["conda", verbs("conda", words("install create update upgrade self-update env"), set("run"))],
  ["mamba", verbs("conda", words("install create update upgrade self-update env"), set("run"))],
  ["micromamba", verbs("conda", words("install create update upgrade self-update env"), set("run"))],
  ["pixi", allExcept("pixi", words("list info tree search init help config auth clean completion"))],
  ["rye", allExcept("rye", words("list show version help config fmt lint init"))],
  ["npm", npmVerdict],
  ["cnpm", npmVerdict],
  ["npx", npxVerdict],
  ["pnpx", (args) => (args.length === 0 ? null : install("pnpm", "`pnpx` downloads and runs a package"))],
  ["bunx", (args) => (args.length === 0 ? null : install("bun", "`bunx` downloads and runs a package"))],
  ["pnpm", pnpmVerdict],
  ["yarn", yarnVerdict],
  ["yarnpkg", yarnVerdict],
  ["bun", bunVerdict],
  ["deno", denoVerdict],
  ["corepack", corepackVerdict],
  ["apt", systemVerdict(set("install", "reinstall", "build-dep"))],
  ["apt-get", systemVerdict(set("install", "reinstall", "build-dep"))],
  ["aptitude", systemVerdict(set("install", "reinstall"))],
  ["nala", systemVerdict(set("install", "reinstall"))],
  ["dnf", systemVerdict(set("install", "reinstall", "in"))],
  ["yum", systemVerdict(set("install", "reinstall"))],
  ["microdnf", systemVerdict(set("install"))],
  ["zypper", systemVerdict(set("install", "in"))],
  ["apk", systemVerdict(set("add"))],
  ["brew", systemVerdict(set("install", "reinstall", "upgrade"))],
  ["port", systemVerdict(set("install"))],
  ["snap", systemVerdict(set("install"))],
  ["pacman", systemVerdict(NONE, ["-S", "--sync", "-U", "--upgrade"])],
  ["nix-env", systemVerdict(NONE, ["-i", "--install"])],
  ["nix", systemVerdict(set("install", "shell", "run", "develop"))],
  ["nix-shell", systemVerdict(NONE, ["-p", "--packages"])],
  ["guix", systemVerdict(set("install", "shell"))],
]);

const EASY_INSTALL = /^easy_install(-[0-9.]+)?$/;
const PIP = /^pip(-?[0-9]+(\.[0-9]+)*)?$/;

/** The family analyzer for a program name, if it is a package manager. */
export const familyAnalyzer = (name: string): ((args: Field[], name: string) => FamilyVerdict) | undefined => {
  if (PIP.test(name)) return (args) => pipVerdict(args, "pip", name);
  if (EASY_INSTALL.test(name)) return () => install("easy_install", "`easy_install` installs Python packages");
  if (name === "setup.py") return setupPyVerdict;
  return FAMILY_ANALYZERS.get(name);
};

/** Every name familyAnalyzer knows, for globs in command position (`/usr/bin/p?p`). */
export const FAMILY_NAMES: readonly string[] = [...FAMILY_ANALYZERS.keys(), "pip", "pip3", "easy_install", "setup.py"];
