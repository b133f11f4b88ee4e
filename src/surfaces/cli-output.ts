export type Output = { stdout: (s: string) => void; stderr: (s: string) => void };

/** Human output fits a terminal this wide; --json is for scripts. */
export const TERMINAL_COLUMNS = 100;
const GAP = "  ";

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(cell).join(",");
  if (typeof value === "object") return JSON.stringify(value);
  // oxlint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  return String(value).replace(/[\u0000-\u001f\u007f]/g, "?");
};

const cut = (text: string, width: number): string =>
  text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;

/**
 * Rows of flat objects as an aligned text table no wider than `width` (first row's keys are the columns): the widest
 * columns give way first, and a cell too long for its column ends in "…".
 */
export const renderTable = (rows: Record<string, unknown>[], width = TERMINAL_COLUMNS): string => {
  if (rows.length === 0) return "(none)\n";
  const columns = Object.keys(rows[0] as object).filter((k) =>
    rows.some((r) => typeof r[k] !== "object" || r[k] === null || Array.isArray(r[k])),
  );
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? "").length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP.length * (widths.length - 1);
  while (total() > width) {
    const widest = widths.indexOf(Math.max(...widths));
    if ((widths[widest] ?? 0) <= 4) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  const line = (values: string[]) =>
    values
      .map((v, i) => cut(v, widths[i] ?? 0).padEnd(widths[i] ?? 0))
      .join(GAP)
      .trimEnd();
  return `${[line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n")}\n`;
};

/** Splits text into lines of at most `width` characters, at spaces where it can. */
export const wrap = (text: string, width: number): string[] => {
  const lines: string[] = [];
  let rest = text.trim();
  while (rest.length > width) {
    const space = rest.lastIndexOf(" ", width);
    const at = space > width / 3 ? space : width;
    lines.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest.length > 0 || lines.length === 0) lines.push(rest);
  return lines;
};

export const printResult = (out: Output, json: boolean, value: unknown, human?: string): void => {
  if (json) {
    out.stdout(`${JSON.stringify(value)}\n`);
  } else if (human !== undefined) {
    out.stdout(human.endsWith("\n") ? human : `${human}\n`);
  } else if (Array.isArray(value)) {
    out.stdout(renderTable(value as Record<string, unknown>[]));
  } else {
    out.stdout(`${JSON.stringify(value, null, 2)}\n`);
  }
};
