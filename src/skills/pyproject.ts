import { isRecord } from "../util/is-record.js";
import { fileProblem, type FileReading } from "./findings.js";
import { readRequirementList } from "./pep508-list.js";
import { lineOfText, parseTomlText } from "./toml.js";
import { readToolTables } from "./tool-tables.js";

// PEP 735 lets a group include another; a chain longer than this is a loop or a bomb, not a project.
const MAX_INCLUDE_DEPTH = 16;

/** `[dependency-groups]` (PEP 735): lists of requirement strings and `{include-group = "…"}` tables. */
const readGroups = (groups: unknown, file: string, lineOf: (needle: string) => number, out: FileReading): void => {
  if (!isRecord(groups)) {
    out.findings.push(fileProblem(file, "dependency-malformed", `[dependency-groups] must be a table of lists`));
    return;
  }
  // Includes only reorder what is there: every group is read once, and an include must name a group of this table.
  for (const [name, list] of Object.entries(groups)) {
    if (!Array.isArray(list)) {
      readRequirementList(list, `[dependency-groups].${name}`, { file, line: lineOf(name) }, out);
      continue;
    }
    const strings: unknown[] = [];
    for (const entry of list) {
      if (isRecord(entry)) {
        const target = entry["include-group"];
        if (typeof target !== "string" || !Object.hasOwn(groups, target) || Object.keys(entry).length !== 1) {
          out.findings.push(
            fileProblem(
              file,
              "dependency-malformed",
              `[dependency-groups].${name} has an include that names no group of this file`,
              lineOf(name),
            ),
          );
        }
      } else strings.push(entry);
    }
    readRequirementList(strings, `[dependency-groups].${name}`, { file, line: lineOf(name), lineOf }, out);
  }
  const cycle = Object.keys(groups).find((name) => includesItself(groups, name));
  if (cycle)
    out.findings.push(
      fileProblem(
        file,
        "dependency-malformed",
        `[dependency-groups].${cycle} is part of an include cycle (or a chain deeper than ${MAX_INCLUDE_DEPTH})`,
        lineOf(cycle),
      ),
    );
};

const includesOf = (groups: Record<string, unknown>, name: string): string[] => {
  const list = groups[name];
  if (!Array.isArray(list)) return [];
  return list.flatMap((e) => (isRecord(e) && typeof e["include-group"] === "string" ? [e["include-group"]] : []));
};

const includesItself = (groups: Record<string, unknown>, start: string): boolean => {
  let frontier = includesOf(groups, start);
  for (let depth = 0; depth < MAX_INCLUDE_DEPTH && frontier.length > 0; depth++) {
    if (frontier.includes(start)) return true;
    frontier = [...new Set(frontier.flatMap((g) => includesOf(groups, g)))];
  }
  return frontier.length > 0;
};

/**
 * pyproject.toml: `[project].dependencies`, `[project].optional-dependencies`, `[dependency-groups]`, and the
 * `[tool.*]` tables that bring packages. Dependencies declared `dynamic` are computed by a build backend at install
 * time, where nothing can vet them: a finding.
 */
export const readPyproject = (text: string, file: string): FileReading => {
  const out: FileReading = { declared: [], findings: [] };
  const parsed = parseTomlText(text, file);
  if (!parsed.ok) return { declared: [], findings: [parsed.finding] };
  const lineOf = (needle: string) => lineOfText(text, needle);
  const project = parsed.data.project;
  if (project !== undefined && !isRecord(project)) {
    out.findings.push(fileProblem(file, "dependency-malformed", `[project] must be a table`, lineOf("project")));
  } else if (project) {
    if (project.dependencies !== undefined)
      readRequirementList(
        project.dependencies,
        "[project].dependencies",
        { file, line: lineOf("dependencies"), lineOf },
        out,
      );
    const optional = project["optional-dependencies"];
    if (optional !== undefined && !isRecord(optional)) {
      out.findings.push(
        fileProblem(
          file,
          "dependency-malformed",
          `[project].optional-dependencies must be a table of lists`,
          lineOf("optional-dependencies"),
        ),
      );
    } else if (optional) {
      for (const [extra, list] of Object.entries(optional))
        readRequirementList(
          list,
          `[project].optional-dependencies.${extra}`,
          { file, line: lineOf(extra), lineOf },
          out,
        );
    }
    const dynamic = Array.isArray(project.dynamic) ? project.dynamic : [];
    for (const key of ["dependencies", "optional-dependencies"]) {
      if (dynamic.includes(key))
        out.findings.push(
          fileProblem(
            file,
            "dynamic-dependencies",
            `[project].dynamic lists '${key}': a build backend computes them at install time, where package-guard ` +
              `cannot vet them; list them in pyproject.toml`,
            lineOf("dynamic"),
          ),
        );
    }
  }
  if (parsed.data["dependency-groups"] !== undefined) readGroups(parsed.data["dependency-groups"], file, lineOf, out);
  readToolTables(parsed.data, file, { file, lineOf }, out);
  return out;
};
