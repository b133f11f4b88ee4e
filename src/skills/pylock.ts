import { isRecord } from "../util/is-record.js";
import { fileProblem, type FileReading } from "./findings.js";
import { insideBundle } from "./lock-sources.js";
import { lineOfText, parseTomlText } from "./toml.js";

const hasLocalFile = (entry: Record<string, unknown>): boolean => {
  const files = [...(Array.isArray(entry.wheels) ? entry.wheels : []), entry.sdist].filter(isRecord);
  return files.some((f) => f.path !== undefined);
};

/**
 * PEP 751 `pylock.toml` / `pylock.<name>.toml`: every package with a version becomes `name==version`, fetched from
 * the operator's index whatever URL the lock names. VCS and archive sources, files by path, and folders outside the
 * bundle are findings; a lock version other than 1.x is refused, as the PEP requires of installers.
 */
export const readPylock = (text: string, file: string): FileReading => {
  const out: FileReading = { declared: [], findings: [] };
  const parsed = parseTomlText(text, file);
  if (!parsed.ok) return { declared: [], findings: [parsed.finding] };
  const version = parsed.data["lock-version"];
  if (typeof version !== "string" || !/^1(?:\.\d+)?$/.test(version)) {
    out.findings.push(
      fileProblem(
        file,
        "lock-unsupported",
        `${file} has lock-version ${JSON.stringify(version) ?? "(none)"}; package-guard reads 1.x`,
        lineOfText(text, "lock-version"),
      ),
    );
    return out;
  }
  const packages = parsed.data.packages;
  if (packages === undefined) return out;
  if (!Array.isArray(packages)) {
    out.findings.push(fileProblem(file, "dependency-malformed", `${file}: 'packages' must be an array of tables`));
    return out;
  }
  packages.forEach((entry: unknown, i) => {
    const name = isRecord(entry) && typeof entry.name === "string" ? entry.name : null;
    const line = name ? lineOfText(text, `name = "${name}"`) : 1;
    if (!isRecord(entry) || name === null) {
      out.findings.push(fileProblem(file, "dependency-malformed", `${file}: packages[${i}] has no name`, line));
      return;
    }
    const directory = isRecord(entry.directory) ? entry.directory : null;
    if (directory && insideBundle(directory.path)) return;
    const foreign = ["vcs", "archive", "directory"].find((k) => entry[k] !== undefined);
    if (foreign || hasLocalFile(entry)) {
      out.findings.push(
        fileProblem(
          file,
          "package-source",
          `${file}: ${name} comes from a ${foreign ?? "local file"} source, not from a package index; ` +
            `package-guard installs only what the operator's index serves`,
          line,
        ),
      );
      return;
    }
    if (typeof entry.version !== "string") {
      out.findings.push(fileProblem(file, "dependency-malformed", `${file}: ${name} has no version`, line));
      return;
    }
    out.declared.push({ requirement: `${name}==${entry.version}`, file, line });
  });
  return out;
};
