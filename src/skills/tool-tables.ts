import { isRecord } from "../util/is-record.js";
import { fileProblem, type FileReading } from "./findings.js";
import { readRequirementList } from "./pep508-list.js";

// uv settings that change where packages come from when uv reads this file (`uv run`, `uv sync`): another index, a
// local folder, a git or URL source. Any of them means the skill would install from somewhere the operator did not
// choose.
const UV_SOURCE_KEYS = ["index", "index-url", "extra-index-url", "find-links", "sources", "no-index"] as const;
const UV_PIP_SOURCE_KEYS = ["index-url", "extra-index-url", "find-links", "no-index"] as const;
// Lists of requirement strings uv also installs or applies: vetted like the project's own dependencies.
const UV_REQUIREMENT_LISTS = ["dev-dependencies", "override-dependencies", "constraint-dependencies"] as const;

type Place = { file: string; lineOf: (needle: string) => number };

/**
 * The `[tool.*]` tables of a pyproject.toml or PEP 723 block that bring packages: uv's source settings (findings),
 * uv's extra requirement lists and PDM's dev-dependencies (vetted), and Poetry's own dependency tables, whose
 * format package-guard does not read (a finding, so they cannot slip through unvetted).
 */
export const readToolTables = (data: Record<string, unknown>, where: string, place: Place, out: FileReading): void => {
  const tool = data.tool;
  if (!isRecord(tool)) return;
  const uv = tool.uv;
  if (isRecord(uv)) {
    const pip = isRecord(uv.pip) ? uv.pip : {};
    const found = [
      ...UV_SOURCE_KEYS.filter((k) => uv[k] !== undefined).map((k) => `tool.uv.${k}`),
      ...UV_PIP_SOURCE_KEYS.filter((k) => pip[k] !== undefined).map((k) => `tool.uv.pip.${k}`),
    ];
    for (const key of found) {
      out.findings.push(
        fileProblem(
          place.file,
          "package-source",
          `${where} sets ${key}: packages would come from a source other than the operator's index; remove it`,
          place.lineOf(key.split(".").at(-1)!),
        ),
      );
    }
    for (const key of UV_REQUIREMENT_LISTS) {
      if (uv[key] !== undefined)
        readRequirementList(
          uv[key],
          `${where} tool.uv.${key}`,
          { file: place.file, line: 1, lineOf: place.lineOf },
          out,
        );
    }
  }
  const pdm = tool.pdm;
  if (isRecord(pdm) && isRecord(pdm["dev-dependencies"])) {
    for (const [group, list] of Object.entries(pdm["dev-dependencies"]))
      readRequirementList(
        list,
        `${where} tool.pdm.dev-dependencies.${group}`,
        { file: place.file, line: 1, lineOf: place.lineOf },
        out,
      );
  }
  const poetry = tool.poetry;
  if (isRecord(poetry)) {
    const groups = isRecord(poetry.group) ? Object.values(poetry.group) : [];
    const tables = [
      poetry.dependencies,
      poetry["dev-dependencies"],
      ...groups.map((g) => (isRecord(g) ? g.dependencies : undefined)),
    ];
    const named = tables.some((t) => isRecord(t) && Object.keys(t).some((k) => k.toLowerCase() !== "python"));
    if (named) {
      out.findings.push(
        fileProblem(
          place.file,
          "unsupported-format",
          `${where} declares Poetry dependencies (tool.poetry), which package-guard does not read; declare them in ` +
            `[project].dependencies instead`,
          place.lineOf("tool.poetry"),
        ),
      );
    }
  }
};
