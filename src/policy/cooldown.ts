/**
 * The release cooldown (`index.excludeNewer`): a release uploaded after the cutoff is not installed yet, so a
 * malicious or broken release has time to be noticed and yanked before an agent can get it. Either a duration
 * before now ("3 days", "1 week 2 days", "PT48H") or a fixed instant ("2026-01-31", "2026-01-31T12:00:00Z").
 */
export type Cooldown = { spec: string; ms: number } | { spec: string; at: number };

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  sec: 1_000,
  secs: 1_000,
  second: 1_000,
  seconds: 1_000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};
const FRIENDLY = /^(?:\d{1,6}\s*[a-z]+\s*)+$/;
const ISO_DURATION = /^P(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

const friendly = (text: string): number | null => {
  const parts = text.toLowerCase().replace(/,/g, " ").trim();
  if (!FRIENDLY.test(parts)) return null;
  let total = 0;
  for (const m of parts.matchAll(/(\d{1,6})\s*([a-z]+)/g)) {
    if (!Object.hasOwn(UNIT_MS, m[2]!)) return null;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return total;
};

const isoDuration = (text: string): number | null => {
  const m = ISO_DURATION.exec(text);
  if (!m || text.toUpperCase() === "P" || text.toUpperCase().endsWith("T")) return null;
  const [w, d, h, min, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number];
  return w * 604_800_000 + d * 86_400_000 + h * 3_600_000 + min * 60_000 + s * 1_000;
};

const day = (text: string): number | null => {
  const m = DATE.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const at = Date.UTC(y, mo - 1, d);
  const check = new Date(at);
  return check.getUTCFullYear() === y && check.getUTCMonth() === mo - 1 && check.getUTCDate() === d ? at : null;
};

/** The cooldown a spec names, or null when it names none we can compute exactly (months and years do not). */
export const parseCooldown = (spec: string): Cooldown | null => {
  const text = spec.trim();
  const date = day(text);
  if (date !== null) return { spec: text, at: date };
  if (TIMESTAMP.test(text)) {
    const at = Date.parse(text.replace(" ", "T"));
    return Number.isNaN(at) ? null : { spec: text, at };
  }
  const ms = isoDuration(text) ?? friendly(text);
  return ms === null ? null : { spec: text, ms };
};

/** The instant before which a release must have been uploaded. */
export const cutoffOf = (cooldown: Cooldown, now: Date): Date =>
  new Date("ms" in cooldown ? now.getTime() - cooldown.ms : cooldown.at);

/** When a release uploaded at `uploaded` leaves the cooldown; null if it never does (a fixed cutoff). */
export const eligibleAt = (cooldown: Cooldown, uploaded: Date): Date | null =>
  "ms" in cooldown ? new Date(uploaded.getTime() + cooldown.ms) : null;

/** The cooldown of every package: the default, or its own exception (`false`: none at all). */
export type Cooldowns = { default: Cooldown | null; packages: Readonly<Record<string, Cooldown | null>> };

export const cooldownFor = (cooldowns: Cooldowns, name: string): Cooldown | null =>
  Object.hasOwn(cooldowns.packages, name) ? cooldowns.packages[name]! : cooldowns.default;

/**
 * uv's flags for these cooldowns at `now`: one absolute cutoff for everything, so that uv and package-guard's own
 * check of the resolved set (`releases.ts`) judge by the same instant.
 */
export const uvCooldownArgs = (cooldowns: Cooldowns, now: Date): string[] => [
  ...(cooldowns.default ? ["--exclude-newer", cutoffOf(cooldowns.default, now).toISOString()] : []),
  ...Object.keys(cooldowns.packages)
    .toSorted()
    .flatMap((name) => {
      const c = cooldowns.packages[name]!;
      return ["--exclude-newer-package", `${name}=${c ? cutoffOf(c, now).toISOString() : "false"}`];
    }),
];
