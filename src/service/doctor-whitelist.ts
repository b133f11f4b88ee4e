import { MATURITY_LEVELS } from "../config.js";
import { toPackageGuardError } from "../errors.js";
import { mentionsPrerelease, specifierContains, specifierIsEmpty } from "../policy/ranges.js";
import type { WhitelistEntry } from "../policy/whitelist.js";
import { indexVersions } from "../python/index-versions.js";
import type { DoctorCheck, DoctorContext } from "./doctor-types.js";

// Enough for any real whitelist; the rest is reported as not checked rather than making doctor slow.
const MAX_INDEX_LOOKUPS = 100;
const LOOKUPS_AT_ONCE = 4;

const fixFor = (message: string, file: string | null): string =>
  /does not exist/.test(message) && file
    ? `Create ${file}, or remove whitelist.file from the plugin block`
    : "Correct the source named in the message (the path inside it is given); until then no install is judged";

/** Every declaration some maturity can reach, once each (a higher tier's entry can hide a broken lower one). */
const reachableEntries = (visibleAt: (m: (typeof MATURITY_LEVELS)[number]) => WhitelistEntry[]): WhitelistEntry[] => {
  const seen = new Map<string, WhitelistEntry>();
  for (const level of MATURITY_LEVELS) for (const e of visibleAt(level)) seen.set(`${e.package}\u0000${e.maturity}`, e);
  return [...seen.values()];
};

const inBatches = async <T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
};

/** The whitelist loads, every range can match something, and (when the index answers) some release matches it. */
export const whitelistChecks = async (ctx: DoctorContext): Promise<DoctorCheck[]> => {
  let entries: WhitelistEntry[];
  try {
    const whitelist = await ctx.whitelist.current();
    entries = reachableEntries((m) => whitelist.visibleAt(m));
  } catch (error) {
    const message = toPackageGuardError(error, "CONFIG_INVALID").message;
    return [
      {
        check: "whitelist",
        status: "fail",
        detail: `cannot load: ${message}. Every install is refused until it loads`,
        fix: fixFor(message, ctx.config.whitelist.file),
      },
    ];
  }
  const problems: DoctorCheck[] = [];
  const sound: WhitelistEntry[] = [];
  for (const e of entries) {
    if (specifierIsEmpty(e.version)) {
      problems.push({
        check: "whitelist",
        status: "fail",
        detail:
          `${e.package} (${e.maturity}, ${e.source}): the range '${e.version}' matches no version, so every ` +
          `request for it is refused`,
        fix: `Correct the range of ${e.package} in ${e.source}`,
      });
    } else sound.push(e);
  }
  const sources = [...new Set(entries.map((e) => e.source))].join(", ");
  if (!ctx.indexReachable) {
    if (problems.length > 0) return problems;
    return [
      {
        check: "whitelist",
        status: "ok",
        detail: `${entries.length} entries from ${sources || "no source"}; ranges not checked against the index`,
      },
    ];
  }
  const names = [...new Set(sound.map((e) => e.package))];
  const looked = names.slice(0, MAX_INDEX_LOOKUPS);
  const versions = new Map<string, string[] | null | Error>();
  await inBatches(looked, LOOKUPS_AT_ONCE, async (name) => {
    versions.set(
      name,
      await indexVersions(ctx.config.index.url, name, ctx.signal).catch((error: unknown) => error as Error),
    );
  });
  for (const e of sound.filter((x) => looked.includes(x.package))) {
    const found = versions.get(e.package);
    if (found instanceof Error) {
      problems.push({
        check: "whitelist",
        status: "warn",
        detail: `${e.package}: the index did not answer (${found.message})`,
        fix: "Check index.url and the network",
      });
    } else if (found === null || found === undefined) {
      problems.push({
        check: "whitelist",
        status: "fail",
        detail: `${e.package} (${e.maturity}, ${e.source}) is not on ${ctx.config.index.url}`,
        fix: `Remove the entry, or check the name and index.url`,
      });
    } else if (!found.some((v) => specifierContains(e.version, v, { prereleases: mentionsPrerelease(e.version) }))) {
      problems.push({
        check: "whitelist",
        status: "fail",
        detail: `${e.package} (${e.maturity}, ${e.source}): no release on the index matches '${e.version}'`,
        fix: `Widen the range of ${e.package} in ${e.source} (the index has ${found.slice(-3).join(", ") || "none"})`,
      });
    }
  }
  const skipped = names.length - looked.length;
  return [
    ...problems,
    ...(problems.some((p) => p.status === "fail")
      ? []
      : [
          {
            check: "whitelist",
            status: "ok" as const,
            detail:
              `${entries.length} entries from ${sources}; every range matches a release on the index` +
              (skipped > 0 ? ` (${skipped} packages not looked up)` : ""),
          },
        ]),
  ];
};
