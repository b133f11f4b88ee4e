import { fileProblem, type FileReading } from "./findings.js";

const show = (value: unknown): string => {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
};

/**
 * A TOML list of PEP 508 strings (`dependencies = [...]`) into requirements. The requirement part goes to the
 * service's strict grammar as is (URLs, paths and options are refused there); an environment marker after ';' is
 * cut off and the requirement vetted as if it held, since the skill may well run where it does.
 */
export const readRequirementList = (
  value: unknown,
  where: string,
  place: { file: string; line: number; lineOf?: (entry: string) => number },
  out: FileReading,
): void => {
  if (!Array.isArray(value)) {
    out.findings.push(
      fileProblem(place.file, "dependency-malformed", `${where} must be a list of requirement strings`, place.line),
    );
    return;
  }
  value.forEach((entry: unknown, i) => {
    if (typeof entry !== "string" || entry.trim() === "") {
      out.findings.push(
        fileProblem(
          place.file,
          "dependency-malformed",
          `${where}[${i}] must be a requirement string such as "pandas>=2,<3", not ${show(entry)}`,
          place.line,
        ),
      );
      return;
    }
    const cut = entry.indexOf(";");
    const requirement = (cut === -1 ? entry : entry.slice(0, cut)).trim();
    if (requirement === "") {
      out.findings.push(
        fileProblem(place.file, "dependency-malformed", `${where}[${i}] has a marker but no requirement`, place.line),
      );
      return;
    }
    const line = place.lineOf?.(entry) ?? place.line;
    out.declared.push({ requirement, file: place.file, line, ...(cut === -1 ? {} : { conditional: true }) });
  });
};
