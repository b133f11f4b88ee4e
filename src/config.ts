import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { Type, type Static } from "typebox";
import { Value } from "typebox/value";
import { PackageGuardError } from "./errors.js";
import { parseCooldown, type Cooldown, type Cooldowns } from "./policy/cooldown.js";
import { isValidProjectName, normalizeName } from "./policy/names.js";

export const MATURITY_LEVELS = ["student", "intern", "supervised", "autonomous"] as const;
export type Maturity = (typeof MATURITY_LEVELS)[number];

const MaturitySchema = Type.Enum([...MATURITY_LEVELS], { description: "student < intern < supervised < autonomous" });
// SECURITY: no value may start with "-", so a path or URL can never be read as an option by uv or pip.
const NotOption = { pattern: "^(?!\\s*-)" } as const;
const PathString = Type.String({ minLength: 1, ...NotOption });

/** Package ecosystems, spelled as OSV spells them. */
export const ECOSYSTEMS = ["PyPI", "npm"] as const;
export type Ecosystem = (typeof ECOSYSTEMS)[number];

/**
 * One entry of the seed's whitelist YAML format (package_whitelist_default.yaml), plus optional `extras`, and
 * `ecosystem: npm` for an npm package (its `version` is then a node-semver range). Without it an entry is PyPI's.
 */
export const WhitelistEntrySchema = Type.Object(
  {
    package: Type.String({ minLength: 1, maxLength: 214 }),
    ecosystem: Type.Optional(Type.Enum([...ECOSYSTEMS], { description: "PyPI (the default) or npm" })),
    version: Type.Optional(Type.String({ maxLength: 200 })),
    max_memory_mb: Type.Optional(Type.Integer({ minimum: 1 })),
    network_access: Type.Optional(Type.Boolean()),
    requires_approval: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    category: Type.Optional(Type.String({ maxLength: 100 })),
    extras: Type.Optional(Type.Array(Type.String({ maxLength: 100 }))),
  },
  { additionalProperties: false },
);
export type WhitelistEntryInput = Static<typeof WhitelistEntrySchema>;

export const TiersSchema = Type.Object(
  {
    student: Type.Optional(Type.Array(WhitelistEntrySchema)),
    intern: Type.Optional(Type.Array(WhitelistEntrySchema)),
    supervised: Type.Optional(Type.Array(WhitelistEntrySchema)),
    autonomous: Type.Optional(Type.Array(WhitelistEntrySchema)),
  },
  { additionalProperties: false },
);
export type TiersInput = Static<typeof TiersSchema>;

const IgnoreRuleSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 100 }),
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
    expires: Type.String({ format: "date", description: "YYYY-MM-DD; the rule stops applying after this day (UTC)" }),
    ecosystem: Type.Optional(Type.Enum(["PyPI", "npm"], { description: "only findings in this ecosystem" })),
  },
  { additionalProperties: false },
);

/** The plugin block: plugins.entries.package-guard.config. Every key is optional. */
export const ConfigSchema = Type.Object(
  {
    defaultMaturity: Type.Optional(MaturitySchema),
    agents: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 128 }), MaturitySchema)),
    whitelist: Type.Optional(
      Type.Object(
        {
          file: Type.Optional(PathString),
          tiers: Type.Optional(TiersSchema),
          includeDefault: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    python: Type.Optional(
      Type.Object(
        {
          installer: Type.Optional(Type.Enum(["auto", "uv", "pip"])),
          uv: Type.Optional(PathString),
          python: Type.Optional(PathString),
          pipAudit: Type.Optional(PathString),
          installTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000 })),
          lockTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
          linkMode: Type.Optional(
            Type.Enum(["copy", "hardlink"], {
              description:
                "copy (default): each venv owns its files, so one skill's code cannot edit another's or uv's cache; " +
                "hardlink: venvs share files with uv's cache (smaller, faster, but an in-place edit reaches them all)",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    index: Type.Optional(
      Type.Object(
        {
          url: Type.Optional(Type.String({ pattern: "^https?://[^\\s]+$" })),
          findLinks: Type.Optional(Type.Array(PathString)),
          onlyBinary: Type.Optional(Type.Boolean()),
          excludeNewer: Type.Optional(
            Type.Union([Type.String({ minLength: 1, maxLength: 64, ...NotOption }), Type.Literal(false)], {
              description:
                'release cooldown: a duration ("3 days", "PT48H") or a date/RFC 3339 instant; false turns it off',
            }),
          ),
          excludeNewerPackages: Type.Optional(
            Type.Record(
              Type.String({ minLength: 1, maxLength: 100 }),
              Type.Union([Type.String({ minLength: 1, maxLength: 64, ...NotOption }), Type.Literal(false)]),
              { description: "per-package cooldown exceptions: package name -> its own cooldown, or false for none" },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    scan: Type.Optional(
      Type.Object(
        {
          scanner: Type.Optional(Type.Enum(["pip-audit", "osv-db"])),
          vulnerabilityService: Type.Optional(Type.Enum(["pypi", "osv"])),
          osvUrl: Type.Optional(Type.Union([Type.String({ pattern: "^https?://[^\\s]+$" }), Type.Null()])),
          osvDbDir: Type.Optional(Type.Union([PathString, Type.Null()])),
          osvApiUrl: Type.Optional(
            Type.String({
              pattern: "^https?://[^\\s]+$",
              description: "the OSV API root npm packages are scanned against (POST <url>/v1/querybatch)",
            }),
          ),
          osvDbUrl: Type.Optional(
            Type.String({
              pattern: "^https?://[^\\s]+$",
              description: "OSV's bucket or a mirror of it: advisories update fetches <osvDbUrl>/<ecosystem>/all.zip",
            }),
          ),
          maxAdvisoryAgeDays: Type.Optional(
            Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 3650 }), Type.Null()], {
              description: "an offline advisory database older than this fails every scan (SCANNER_UNAVAILABLE)",
            }),
          ),
          rescanHours: Type.Optional(
            Type.Number({
              minimum: 0,
              maximum: 24 * 30,
              description: "re-scan installed skills this often; 0: only on updates",
            }),
          ),
          cacheTtlHours: Type.Optional(Type.Number({ minimum: 0, maximum: 24 * 30 })),
          timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
          ignore: Type.Optional(Type.Array(IgnoreRuleSchema)),
        },
        { additionalProperties: false },
      ),
    ),
    npm: Type.Optional(
      Type.Object(
        {
          npm: Type.Optional(PathString),
          registry: Type.Optional(
            Type.String({
              pattern: "^https?://[^\\s@/]+(/[^\\s@]*)?$",
              description: "the one registry npm packages come from; no credentials in the URL",
            }),
          ),
          installTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000 })),
          lockTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
          maxPackages: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 20_000,
              description: "the most packages one component's tree may hold",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    venvRoot: Type.Optional(Type.Union([PathString, Type.Null()])),
    audit: Type.Optional(
      Type.Object(
        {
          file: Type.Optional(Type.Union([PathString, Type.Null()])),
          rotateBytes: Type.Optional(Type.Integer({ minimum: 4096 })),
          signingKey: Type.Optional(
            Type.Union([PathString, Type.Null()], {
              description: "PEM Ed25519 private key that signs the audit head (openssl genpkey -algorithm ed25519)",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    approvals: Type.Optional(
      Type.Object(
        {
          ttlHours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 365 })),
          maxPending: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          maxPendingPerAgent: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          pendingTtlHours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 365 })),
          ask: Type.Optional(
            Type.Boolean({
              description: "ask the user through OpenClaw's plugin approvals when an agent's install needs approval",
            }),
          ),
          askTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 600_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    shell: Type.Optional(
      Type.Object(
        {
          mode: Type.Optional(
            Type.Enum(["block", "approve", "off"], {
              description: "package installs through exec/process/terminal: refuse, ask the user, or (unsafe) allow",
            }),
          ),
          execEnv: Type.Optional(
            Type.Boolean({
              description:
                "add variables that keep pip and uv off the network to exec (OpenClaw drops npm_config_* ones)",
            }),
          ),
          approvalTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 600_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    hooks: Type.Optional(
      Type.Object(
        { maturity: Type.Optional(MaturitySchema), preinstall: Type.Optional(Type.Boolean()) },
        { additionalProperties: false },
      ),
    ),
    policy: Type.Optional(
      Type.Object(
        {
          dependencies: Type.Optional(
            Type.Enum(["scanned", "whitelisted"], {
              description:
                "scanned (default): a dependency not on the whitelist may be installed once scanned; whitelisted: " +
                "every package of the resolved set must be on the whitelist at the agent's maturity",
            }),
          ),
          delisted: Type.Optional(
            Type.Enum(["keep", "remove"], {
              description:
                "a skill's package that is no longer on the whitelist, at the skill's next change: keep (default) " +
                "its installed version, never upgraded, or remove it",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    widgets: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean({ description: "Gate show_widget (before_tool_call)" })),
          esmSh: Type.Optional(
            Type.Boolean({
              description: "Let widgets load esm.sh modules: policy-checked, but no integrity binds them",
            }),
          ),
          fonts: Type.Optional(Type.Boolean({ description: "Let widgets load CSS and fonts from the font hosts" })),
          registry: Type.Optional(Type.String({ pattern: "^https?://[^\\s@]+$" })),
          timeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 14_000 })),
          maxTarballBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 512 * 1024 * 1024 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ConfigInput = Static<typeof ConfigSchema>;

export type IgnoreRule = Static<typeof IgnoreRuleSchema>;

/** The configuration with every default applied and every path made absolute. */
export type PackageGuardConfig = {
  stateDir: string;
  dataDir: string;
  defaultMaturity: Maturity;
  agents: Readonly<Record<string, Maturity>>;
  whitelist: { file: string | null; tiers: TiersInput | null; includeDefault: boolean; overlayFile: string };
  python: {
    installer: "auto" | "uv" | "pip";
    uv: string;
    python: string;
    pipAudit: string;
    installTimeoutMs: number;
    lockTimeoutMs: number;
    linkMode: "copy" | "hardlink";
    cacheDir: string;
  };
  index: {
    url: string;
    findLinks: string[];
    onlyBinary: boolean;
    /** The cooldown as configured (false: off). */
    excludeNewer: string | false;
    excludeNewerPackages: Readonly<Record<string, string | false>>;
    /** Both, parsed: what the resolver and the release check apply. */
    cooldowns: Cooldowns;
  };
  scan: {
    scanner: "pip-audit" | "osv-db";
    vulnerabilityService: "pypi" | "osv";
    osvUrl: string | null;
    osvDbDir: string | null;
    /** npm packages are scanned against it (the OSV API backend) unless scan.scanner is osv-db. */
    osvApiUrl: string;
    osvDbUrl: string;
    maxAdvisoryAgeDays: number | null;
    rescanHours: number;
    cacheTtlHours: number;
    timeoutMs: number;
    ignore: IgnoreRule[];
    cacheFile: string;
    /** The managed advisory database (scan.scanner "osv-db" with no osvDbDir). */
    advisoryDbDir: string;
    /** What the last re-scan found, per skill. */
    exposureFile: string;
  };
  npm: {
    npm: string;
    /** Always ends with "/". */
    registry: string;
    installTimeoutMs: number;
    lockTimeoutMs: number;
    maxPackages: number;
    /** `<dataDir>/components`: one folder per component. */
    componentsRoot: string;
  };
  venvRoot: string;
  audit: { file: string; rotateBytes: number; signingKey: string | null };
  approvals: {
    ttlHours: number;
    maxPending: number;
    maxPendingPerAgent: number;
    pendingTtlHours: number;
    file: string;
    ask: boolean;
    askTimeoutMs: number;
  };
  shell: ShellConfig;
  hooks: { maturity: Maturity; preinstall: boolean };
  policy: { dependencies: "scanned" | "whitelisted"; delisted: "keep" | "remove" };
  widgets: {
    enabled: boolean;
    esmSh: boolean;
    fonts: boolean;
    registry: string;
    timeoutMs: number;
    maxTarballBytes: number;
  };
};

export const DEFAULT_INDEX_URL = "https://pypi.org/simple";
export const DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org/";
export const DEFAULT_OSV_API_URL = "https://api.osv.dev";
/** On by default, like pnpm's minimumReleaseAge and Aikido's 48 h: most malicious releases are yanked within days. */
export const DEFAULT_COOLDOWN = "3 days";
/** OSV's public bucket: <url>/PyPI/all.zip is every PyPI advisory (PYSEC, GHSA, MAL) as OSV JSON. */
export const DEFAULT_OSV_DB_URL = "https://osv-vulnerabilities.storage.googleapis.com";

export type ShellMode = "block" | "approve" | "off";
export type ShellConfig = { mode: ShellMode; execEnv: boolean; approvalTimeoutMs: number };

/** What the shell gate does when it has no valid configuration to read: refuse (fail closed). */
export const DEFAULT_SHELL: ShellConfig = { mode: "block", execEnv: true, approvalTimeoutMs: 120_000 };

export type ConfigProblem = { path: string; message: string };

/** Lists every problem with its JSON path, in a form a person can fix from. */
export const validateConfig = (raw: unknown): ConfigProblem[] => {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(ConfigSchema, raw)) {
    // TypeBox reports "schema is false" for each additional property and again on the parent; keep the parent.
    if (error.keyword === "boolean") continue;
    const path = `/${error.instancePath.replace(/^\//, "")}`;
    const params = error.params as Record<string, unknown>;
    let message = error.message;
    if (error.keyword === "additionalProperties") message = `unknown key(s): ${String(params.additionalProperties)}`;
    else if (error.keyword === "enum") message = `must be one of: ${(params.allowedValues as unknown[]).join(", ")}`;
    else if (error.keyword === "pattern" && params.pattern === NotOption.pattern) message = "must not start with '-'";
    const key = `${path}\u0000${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push({ path, message });
    }
  }
  return problems;
};

const COOLDOWN_HELP = 'a duration such as "3 days", "1 week" or "PT48H", a date such as "2026-01-31", or false';

const cooldownProblem = (path: string, message: string): PackageGuardError =>
  new PackageGuardError("CONFIG_INVALID", `Invalid package-guard configuration: ${path}: ${message}`, {
    details: { problems: [{ path, message }] },
  });

/** The cooldown specs, parsed now so that a typo is a configuration error rather than a failing install. */
const parseCooldowns = (spec: string | false, packages: Record<string, string | false>): Cooldowns => {
  const parse = (value: string | false, path: string): Cooldown | null => {
    if (value === false) return null;
    const cooldown = parseCooldown(value);
    if (!cooldown) throw cooldownProblem(path, `'${value}' is not ${COOLDOWN_HELP}`);
    return cooldown;
  };
  const byName: Record<string, Cooldown | null> = {};
  for (const [name, value] of Object.entries(packages)) {
    // SECURITY: only a PEP 508 name may reach uv's `--exclude-newer-package name=date` flag.
    if (!isValidProjectName(name)) throw cooldownProblem(`/index/excludeNewerPackages/${name}`, "not a package name");
    byName[normalizeName(name)] = parse(value, `/index/excludeNewerPackages/${name}`);
  }
  return { default: parse(spec, "/index/excludeNewer"), packages: byName };
};

const expandHome = (path: string): string =>
  path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : path;
const absolute = (path: string, base: string): string => {
  const expanded = expandHome(path);
  return isAbsolute(expanded) ? expanded : resolve(base, expanded);
};

/**
 * Validates the plugin block and fills in defaults. Throws CONFIG_INVALID listing every problem.
 * `stateDir` is the host's state directory; relative paths in the block resolve against `baseDir`.
 */
export const parseConfig = (raw: unknown, stateDir: string, baseDir: string = stateDir): PackageGuardConfig => {
  const block = raw ?? {};
  const problems = validateConfig(block);
  if (problems.length > 0) {
    const list = problems.map((p) => `${p.path}: ${p.message}`).join("; ");
    throw new PackageGuardError("CONFIG_INVALID", `Invalid package-guard configuration: ${list}`, {
      details: { problems },
    });
  }
  const c = block as ConfigInput;
  const cooldowns = parseCooldowns(c.index?.excludeNewer ?? DEFAULT_COOLDOWN, c.index?.excludeNewerPackages ?? {});
  const dataDir = join(stateDir, "package-guard");
  const defaultMaturity = c.defaultMaturity ?? "student";
  return {
    stateDir,
    dataDir,
    defaultMaturity,
    agents: { ...c.agents },
    whitelist: {
      file: c.whitelist?.file ? absolute(c.whitelist.file, baseDir) : null,
      tiers: c.whitelist?.tiers ?? null,
      includeDefault: c.whitelist?.includeDefault ?? true,
      overlayFile: join(dataDir, "whitelist.yaml"),
    },
    python: {
      installer: c.python?.installer ?? "auto",
      uv: c.python?.uv ?? "uv",
      python: c.python?.python ?? "python3",
      pipAudit: c.python?.pipAudit ?? "pip-audit",
      installTimeoutMs: c.python?.installTimeoutMs ?? 600_000,
      lockTimeoutMs: c.python?.lockTimeoutMs ?? 120_000,
      linkMode: c.python?.linkMode ?? "copy",
      cacheDir: join(dataDir, "cache"),
    },
    index: {
      url: c.index?.url ?? DEFAULT_INDEX_URL,
      findLinks: (c.index?.findLinks ?? []).map((p) => absolute(p, baseDir)),
      onlyBinary: c.index?.onlyBinary ?? true,
      excludeNewer: c.index?.excludeNewer ?? DEFAULT_COOLDOWN,
      excludeNewerPackages: { ...c.index?.excludeNewerPackages },
      cooldowns,
    },
    scan: {
      scanner: c.scan?.scanner ?? "pip-audit",
      vulnerabilityService: c.scan?.vulnerabilityService ?? "pypi",
      osvUrl: c.scan?.osvUrl ?? null,
      osvDbDir: c.scan?.osvDbDir ? absolute(c.scan.osvDbDir, baseDir) : null,
      osvApiUrl: c.scan?.osvApiUrl ?? DEFAULT_OSV_API_URL,
      osvDbUrl: c.scan?.osvDbUrl ?? DEFAULT_OSV_DB_URL,
      maxAdvisoryAgeDays: c.scan?.maxAdvisoryAgeDays ?? null,
      rescanHours: c.scan?.rescanHours ?? 24,
      cacheTtlHours: c.scan?.cacheTtlHours ?? 24,
      timeoutMs: c.scan?.timeoutMs ?? 60_000,
      ignore: c.scan?.ignore ?? [],
      cacheFile: join(dataDir, "scan-cache.json"),
      advisoryDbDir: join(dataDir, "advisories"),
      exposureFile: join(dataDir, "exposure.json"),
    },
    npm: {
      npm: c.npm?.npm ?? "npm",
      registry: (c.npm?.registry ?? DEFAULT_NPM_REGISTRY).replace(/\/*$/, "/"),
      installTimeoutMs: c.npm?.installTimeoutMs ?? 600_000,
      lockTimeoutMs: c.npm?.lockTimeoutMs ?? 120_000,
      maxPackages: c.npm?.maxPackages ?? 2000,
      componentsRoot: join(dataDir, "components"),
    },
    venvRoot: c.venvRoot ? absolute(c.venvRoot, baseDir) : join(dataDir, "venvs"),
    audit: {
      file: c.audit?.file ? absolute(c.audit.file, baseDir) : join(dataDir, "audit.jsonl"),
      rotateBytes: c.audit?.rotateBytes ?? 100 * 1024 * 1024,
      signingKey: c.audit?.signingKey ? absolute(c.audit.signingKey, baseDir) : null,
    },
    approvals: {
      ttlHours: c.approvals?.ttlHours ?? 72,
      maxPending: c.approvals?.maxPending ?? 50,
      maxPendingPerAgent: c.approvals?.maxPendingPerAgent ?? 5,
      pendingTtlHours: c.approvals?.pendingTtlHours ?? 24,
      file: join(dataDir, "approvals.json"),
      ask: c.approvals?.ask ?? true,
      askTimeoutMs: c.approvals?.askTimeoutMs ?? 120_000,
    },
    shell: {
      mode: c.shell?.mode ?? DEFAULT_SHELL.mode,
      // "off" means the gate passes everything; the variables that break installers go with it unless asked for.
      execEnv: c.shell?.execEnv ?? (c.shell?.mode ?? DEFAULT_SHELL.mode) !== "off",
      approvalTimeoutMs: c.shell?.approvalTimeoutMs ?? DEFAULT_SHELL.approvalTimeoutMs,
    },
    hooks: { maturity: c.hooks?.maturity ?? defaultMaturity, preinstall: c.hooks?.preinstall ?? true },
    policy: { dependencies: c.policy?.dependencies ?? "scanned", delisted: c.policy?.delisted ?? "keep" },
    widgets: {
      enabled: c.widgets?.enabled ?? true,
      esmSh: c.widgets?.esmSh ?? false,
      fonts: c.widgets?.fonts ?? true,
      // One npm registry unless the operator names another for widgets: what components install is what widgets load.
      registry: c.widgets?.registry ?? c.npm?.registry ?? DEFAULT_NPM_REGISTRY,
      // OpenClaw fails a before_tool_call handler closed after 15 s; the gate answers first with its own reason.
      timeoutMs: c.widgets?.timeoutMs ?? 12_000,
      maxTarballBytes: c.widgets?.maxTarballBytes ?? 64 * 1024 * 1024,
    },
  };
};

/** The strict JSON Schema of the plugin block (what validateConfig enforces). */
export const configJsonSchema = (): Record<string, unknown> =>
  JSON.parse(JSON.stringify(ConfigSchema)) as Record<string, unknown>;

// Keeps what documents a key, drops everything that could fail validation.
const documentation = (schema: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  if (typeof schema.description === "string") out.description = schema.description;
  if (schema.properties && typeof schema.properties === "object") {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties as Record<string, Record<string, unknown>>).map(([k, v]) => [
        k,
        documentation(v),
      ]),
    );
  }
  return out;
};

/**
 * The manifest's configSchema (openclaw.plugin.json; scripts/gen-manifest.ts; a test fails on drift). OpenClaw
 * validates the block against it before the plugin loads, and a block that fails stops the whole gateway (and
 * `openclaw doctor --fix` then disables the plugin and deletes the block). So it accepts any object and only names
 * the keys; validateConfig does the strict check and a bad block closes the guard instead (runtime.openGuard).
 */
export const manifestConfigSchema = (): Record<string, unknown> => ({
  type: "object",
  description:
    "package-guard's settings (see its README). Checked by the plugin itself: a problem closes the guard (every " +
    "install refused, each problem named) instead of stopping the gateway.",
  ...documentation(configJsonSchema()),
});
