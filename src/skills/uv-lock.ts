import { isRecord } from "../util/is-record.js";
import { fileProblem, type FileReading } from "./findings.js";
import { insideBundle } from "./lock-sources.js";
import { lineOfText, parseTomlText } from "./toml.js";

const SUPPORTED_VERSION = 1;

/**
 * uv.lock: every package from a registry becomes `name==version` (the lock's pins are what `uv sync` would
 * install, so each must pass as a request). The project itself and workspace members inside the bundle are the
 * skill's own code; git, URL and file sources, and folders outside the bundle, are findings.
 */
export const readUvLock = (text: string, file: string): FileReading => {
  const out: FileReading = { declared: [], findings: [] };
  const parsed = parseTomlText(text, file);
  if (!parsed.ok) return { declared: [], findings: [parsed.finding] };
  const { version, package: packages } = parsed.data;
  if (version !== SUPPORTED_VERSION) {
    out.findings.push(
      fileProblem(
        file,
        "lock-unsupported",
        `${file} has lock version ${JSON.stringify(version) ?? "(none)"}; package-guard reads version ` +
          `${SUPPORTED_VERSION}`,
        lineOfText(text, "version"),
      ),
    );
    return out;
  }
  if (packages === undefined) return out;
  if (!Array.isArray(packages)) {
    out.findings.push(fileProblem(file, "dependency-malformed", `${file}: 'package' must be an array of tables`));
    return out;
  }
  packages.forEach((entry: unknown, i) => {
    const name = isRecord(entry) && typeof entry.name === "string" ? entry.name : null;
    const line = name ? lineOfText(text, `name = "${name}"`) : 1;
    if (!isRecord(entry) || name === null) {
      out.findings.push(fileProblem(file, "dependency-malformed", `${file}: package[${i}] has no name`, line));
      return;
    }
    const source = isRecord(entry.source) ? entry.source : {};
    if (typeof source.registry === "string") {
      if (typeof entry.version !== "string") {
        out.findings.push(fileProblem(file, "dependency-malformed", `${file}: ${name} has no version`, line));
        return;
      }
      out.declared.push({ requirement: `${name}==${entry.version}`, file, line });
      return;
    }
    const local = source.virtual ?? source.editable ?? source.directory;
    if (local !== undefined && insideBundle(local)) return;
    const kind = Object.keys(source)[0] ?? "no";
    out.findings.push(
      fileProblem(
        file,
        "package-source",
        `${file}: ${name} comes from a ${kind} source, not from a package index; package-guard installs only ` +
          `what the operator's index serves`,
        line,
      ),
    );
  });
  return out;
};
