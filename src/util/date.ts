/**
 * One rule for every date an operator writes (overrides `expires`, `scan.ignore[].expires`, audit prune): YYYY-MM-DD
 * naming a real calendar day. 2027-02-30 is a typo, not March 2nd: everything that reads a date refuses it alike.
 */
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The first instant after the day `date` (UTC), or NaN unless `date` is a real calendar date. */
export const endOfUtcDay = (date: string): number => {
  const m = DATE.exec(date);
  if (!m) return Number.NaN;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const start = Date.UTC(year, month - 1, day);
  const check = new Date(start);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    return Number.NaN;
  return start + 86_400_000;
};

/** The first instant of the day `date` (UTC), or NaN unless it is a real calendar date. */
export const startOfUtcDay = (date: string): number => endOfUtcDay(date) - 86_400_000;

export const isCalendarDate = (date: unknown): date is string =>
  typeof date === "string" && !Number.isNaN(endOfUtcDay(date));

export const DATE_RULE = "a real calendar date, YYYY-MM-DD";
