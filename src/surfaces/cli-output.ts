export type Output = { stdout: (s: string) => void; stderr: (s: string) => void };

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(cell).join(",");
  if (typeof value === "object") return JSON.stringify(value);
  // oxlint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  return String(value).replace(/[\u0000-\u001f\u007f]/g, "?");
};

/** Rows of flat objects as an aligned text table (first row's keys are the columns). */
export const renderTable = (rows: Record<string, unknown>[]): string => {
  if (rows.length === 0) return "(none)\n";
  const columns = Object.keys(rows[0] as object).filter((k) =>
    rows.some((r) => typeof r[k] !== "object" || r[k] === null || Array.isArray(r[k])),
  );
  const cells = rows.map((r) => columns.map((c) => cell(r[c]).slice(0, 80)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return `${[line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n")}\n`;
};

export const printResult = (out: Output, json: boolean, value: unknown, human?: string): void => {
  if (json) {
    out.stdout(`${JSON.stringify(value)}\n`);
  } else if (human !== undefined) {
    out.stdout(`${human}\n`);
  } else if (Array.isArray(value)) {
    out.stdout(renderTable(value as Record<string, unknown>[]));
  } else {
    out.stdout(`${JSON.stringify(value, null, 2)}\n`);
  }
};
