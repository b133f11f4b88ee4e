/**
 * The useful part of a uv/pip error, on one line: from the first "cause"/"Because" line if `preferCause`, else
 * from the first error line, to the end. uv spreads one error over many indented lines ("Expected:", the hash,
 * "Computed:", …), so a fixed tail of N lines loses the point.
 */
export const errorText = (stderr: string, preferCause = false, max = 600): string => {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const cause = preferCause ? lines.findIndex((l) => /^(?:cause:|╰─▶|Because)/.test(l)) : -1;
  const error = lines.findIndex((l) => /^(?:ERROR:|error:|×)/.test(l));
  const start = cause >= 0 ? cause : error >= 0 ? error : Math.max(0, lines.length - 3);
  return lines
    .slice(start)
    .map((l) => l.replace(/^(?:cause:|╰─▶|error:|ERROR:|×)\s*/, ""))
    .join(" ")
    .slice(0, max);
};
