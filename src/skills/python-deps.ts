import JSON5 from "json5";
import { isRecord } from "../util/is-record.js";
import { critical, type SkillFinding } from "./findings.js";
import type { ParsedFrontmatter } from "./frontmatter.js";

export type SkillDependencies = {
  /** The frontmatter's `name`, when it is a non-empty string. */
  name: string | null;
  /** Requirement texts ("name<spec>") for the service's strict parser, which alone decides whether they are valid. */
  requirements: string[];
  /** SKILL.md line of each requirement (same order). */
  lines: number[];
  findings: SkillFinding[];
};

/** More than this is refused: every dependency costs a resolve inside the install hook's time budget. */
export const MAX_DEPENDENCIES = 32;

// OpenClaw's manifest key, then its legacy one (src/compat/legacy-names.ts). Both are vetted.
const MANIFEST_KEYS = ["openclaw", "clawdbot"] as const;
// A bare name with optional extras: the version comes separately, so the two can never run together into another name.
const PLAIN_PACKAGE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\[[A-Za-z0-9._,\s-]*\])?$/;

const show = (value: unknown): string => {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
};

type Collector = {
  add(requirement: string, line: number): void;
  problem(rule: string, message: string, line: number): void;
};

/**
 * `dependencies.python: [{package, version}]` (the seed's canvas-skill format); plain strings are taken as
 * requirements.
 */
const fromSeedFormat = (fm: ParsedFrontmatter, out: Collector): void => {
  const deps = fm.data.dependencies;
  if (deps === undefined || deps === null) return;
  if (!isRecord(deps))
    return out.problem(
      "dependency-malformed",
      "'dependencies' must be a mapping such as 'dependencies: {python: [...]}'",
      fm.lineOf(["dependencies"]),
    );
  const python = deps.python;
  if (python === undefined || python === null) return;
  if (!Array.isArray(python))
    return out.problem(
      "dependency-malformed",
      "'dependencies.python' must be a list of {package, version} entries",
      fm.lineOf(["dependencies", "python"]),
    );
  python.forEach((entry: unknown, i) => {
    const line = fm.lineOf(["dependencies", "python", i]);
    if (typeof entry === "string" && entry.trim() !== "") return out.add(entry.trim(), line);
    if (!isRecord(entry))
      return out.problem(
        "dependency-malformed",
        `dependencies.python[${i}] must be {package, version}, not ${show(entry)}`,
        line,
      );
    const { package: pkg, version } = entry;
    if (typeof pkg !== "string" || !PLAIN_PACKAGE.test(pkg.trim())) {
      return out.problem(
        "dependency-malformed",
        `dependencies.python[${i}].package must be a plain package name (put the range in 'version'), not ${show(pkg)}`,
        line,
      );
    }
    if (version === undefined || version === null) return out.add(pkg.trim(), line);
    if (typeof version !== "string") {
      return out.problem(
        "dependency-malformed",
        `dependencies.python[${i}].version must be a quoted string such as ">=2.0", not ${show(version)}`,
        line,
      );
    }
    const v = version.trim();
    if (v === "" || v === "*") return out.add(pkg.trim(), line);
    if (/^[0-9]/.test(v)) return out.add(`${pkg.trim()}==${v}`, line);
    if (!/^[<>=!~]/.test(v))
      return out.problem(
        "dependency-malformed",
        `dependencies.python[${i}].version must be a version or a range such as ">=2.0,<3", not ${show(v)}`,
        line,
      );
    out.add(`${pkg.trim()}${v}`, line);
  });
};

const parseMetadataText = (text: string): { ok: true; value: unknown } | { ok: false; error: string } => {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    try {
      return { ok: true, value: JSON5.parse(text) as unknown };
    } catch (error) {
      return { ok: false, error: (error as Error).message.slice(0, 200) };
    }
  }
};

/**
 * `metadata.openclaw.install[]` entries of kind (or type) `kind`: OpenClaw runs `uv tool install <package>` for "uv"
 * entries and `npm install -g <package>` (or the configured node manager) for "node" ones.
 */
const fromManifest = (metadata: unknown, line: number, out: Collector, kind: InstallerKind): void => {
  if (!isRecord(metadata)) return;
  for (const key of MANIFEST_KEYS) {
    const block = metadata[key];
    if (!isRecord(block) || block.install === undefined || block.install === null) continue;
    if (!Array.isArray(block.install)) {
      out.problem("dependency-malformed", `metadata.${key}.install must be a list of installer entries`, line);
      continue;
    }
    block.install.forEach((entry: unknown, i) => {
      if (!isRecord(entry)) return;
      const declared = typeof entry.kind === "string" ? entry.kind : typeof entry.type === "string" ? entry.type : "";
      if (declared.trim().toLowerCase() !== kind) return;
      if (typeof entry.package !== "string" || entry.package.trim() === "") {
        return out.problem(
          "dependency-malformed",
          `metadata.${key}.install[${i}] is a ${kind} installer without a 'package' string`,
          line,
        );
      }
      out.add(entry.package.trim(), line);
    });
  }
};

export type InstallerKind = "uv" | "node";

const fromMetadata = (fm: ParsedFrontmatter, out: Collector, kind: InstallerKind = "uv"): void => {
  const line = fm.lineOf(["metadata"]);
  const value = fm.data.metadata;
  if (typeof value === "string") {
    const parsed = parseMetadataText(value);
    if (!parsed.ok)
      return out.problem(
        "metadata-json5",
        `'metadata' is not valid JSON5 (${parsed.error}); package-guard cannot tell which installers it declares`,
        line,
      );
    fromManifest(parsed.value, line, out, kind);
  } else {
    fromManifest(value, line, out, kind);
  }
  // OpenClaw reads the raw inline text instead of the YAML value when it holds a colon: vet that reading too.
  if (isRecord(value) && fm.metadataInline !== null && fm.metadataInline.includes(":")) {
    const raw = parseMetadataText(fm.metadataInline);
    if (raw.ok) fromManifest(raw.value, line, out, kind);
  }
};

/** Every Python dependency a parsed frontmatter declares; malformed declarations become critical findings. */
export const extractPythonDependencies = (fm: ParsedFrontmatter): SkillDependencies =>
  extract(fm, "Python dependencies", (out) => {
    fromSeedFormat(fm, out);
    fromMetadata(fm, out, "uv");
  });

/** The npm packages of the frontmatter's node installers (`metadata.openclaw.install[]`, kind "node"). */
export const extractNodeInstallers = (fm: ParsedFrontmatter): SkillDependencies =>
  extract(fm, "node installers", (out) => fromMetadata(fm, out, "node"));

const extract = (fm: ParsedFrontmatter, what: string, collect: (out: Collector) => void): SkillDependencies => {
  const name = typeof fm.data.name === "string" && fm.data.name.trim() !== "" ? fm.data.name.trim() : null;
  const requirements: string[] = [];
  const lines: number[] = [];
  const findings: SkillFinding[] = [];
  const out: Collector = {
    add(requirement, line) {
      if (requirements.includes(requirement)) return;
      requirements.push(requirement);
      lines.push(line);
    },
    problem(rule, message, line) {
      // The two readings of an inline metadata line may report the same problem once each.
      if (findings.some((f) => f.message === message && f.line === line)) return;
      findings.push(critical(rule, message, line));
    },
  };
  collect(out);
  if (requirements.length > MAX_DEPENDENCIES) {
    findings.push(
      critical(
        "too-many-dependencies",
        `The skill declares ${requirements.length} ${what}; package-guard vets at most ${MAX_DEPENDENCIES}`,
        lines[MAX_DEPENDENCIES] ?? 1,
      ),
    );
    return {
      name,
      requirements: requirements.slice(0, MAX_DEPENDENCIES),
      lines: lines.slice(0, MAX_DEPENDENCIES),
      findings,
    };
  }
  return { name, requirements, lines, findings };
};
