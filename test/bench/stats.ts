/** Percentiles over measured samples (nanoseconds or milliseconds, whatever the caller measured). */
export const percentile = (samples: number[], p: number): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].toSorted((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
};

export const table = (rows: (string | number)[][]): string => {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => r[c]?.length ?? 0)));
  return cells.map((r) => r.map((v, c) => v.padEnd(widths[c]!)).join("  ")).join("\n");
};
