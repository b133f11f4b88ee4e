import { normalizeName } from "../policy/names.js";
import { compareVersions as compare, isPep440, sameVersion } from "../util/pep440.js";
import type { OsvAdvisory, OsvAffected, OsvEvent } from "./osv-advisory.js";
import type { Finding, ScanPin } from "./types.js";

const eventVersion = (event: OsvEvent): string =>
  event.introduced ?? event.fixed ?? event.last_affected ?? event.limit ?? "";

// OSV: "0" as `introduced` means "from the very first version", including pre-releases PEP 440 sorts below 0.
const isZero = (event: OsvEvent): boolean => event.introduced === "0";

const byVersion = (a: OsvEvent, b: OsvEvent): number =>
  isZero(a) ? (isZero(b) ? 0 : -1) : isZero(b) ? 1 : compare(eventVersion(a), eventVersion(b));

const sorted = new WeakMap<readonly OsvEvent[], OsvEvent[]>();
const sortedEvents = (events: readonly OsvEvent[]): OsvEvent[] => {
  let usable = sorted.get(events);
  if (usable === undefined) {
    usable = events.filter((e) => isZero(e) || isPep440(eventVersion(e))).toSorted(byVersion);
    sorted.set(events, usable);
  }
  return usable;
};

/** The OSV spec's evaluation of one ECOSYSTEM range; events whose version PEP 440 cannot read are left out. */
export const inRange = (version: string, events: readonly OsvEvent[]): boolean => {
  if (!isPep440(version)) return false;
  const usable = sortedEvents(events);
  let affected = false;
  for (const event of usable) {
    if (event.introduced !== undefined) {
      if (isZero(event) || compare(version, event.introduced) >= 0) affected = true;
    } else if (event.fixed !== undefined) {
      if (compare(version, event.fixed) >= 0) affected = false;
    } else if (event.last_affected !== undefined) {
      if (compare(version, event.last_affected) > 0) affected = false;
    }
    // `limit` only bounds git commit walks; it says nothing about PEP 440 versions.
  }
  return affected;
};

const entriesFor = (advisory: OsvAdvisory, name: string): OsvAffected[] =>
  advisory.affected.filter((a) => a.package.ecosystem === "PyPI" && normalizeName(a.package.name) === name);

const entryAffects = (entry: OsvAffected, version: string): boolean =>
  entry.versions.some((v) => sameVersion(v, version)) ||
  entry.ranges.some((r) => r.type === "ECOSYSTEM" && inRange(version, r.events));

/** Whether a (not withdrawn) advisory affects this pin, by its explicit version list or its ECOSYSTEM ranges. */
export const affects = (advisory: OsvAdvisory, pin: ScanPin): boolean =>
  advisory.withdrawn === undefined && entriesFor(advisory, pin.name).some((e) => entryAffects(e, pin.version));

const byPep440 = (a: string, b: string): number => {
  const va = isPep440(a);
  const vb = isPep440(b);
  return va && vb ? compare(a, b) : va ? -1 : vb ? 1 : a.localeCompare(b);
};

const fixedVersions = (advisory: OsvAdvisory, name: string): string[] => {
  const fixed = new Set<string>();
  for (const entry of entriesFor(advisory, name)) {
    for (const range of entry.ranges) {
      if (range.type !== "ECOSYSTEM") continue;
      for (const event of range.events) if (event.fixed !== undefined) fixed.add(event.fixed);
    }
  }
  return [...fixed].toSorted(byPep440);
};

const MAX_SUMMARY = 300;

const summaryOf = (advisory: OsvAdvisory): string | undefined => {
  const text = (advisory.summary ?? advisory.details ?? "").trim().split("\n")[0]?.trim() ?? "";
  if (!text) return undefined;
  return text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY - 1)}…` : text;
};

export const toFinding = (advisory: OsvAdvisory, pin: ScanPin): Finding => {
  const finding: Finding = {
    id: advisory.id,
    aliases: (advisory.aliases ?? []).filter((a) => a !== advisory.id),
    package: pin.name,
    version: pin.version,
    fixedVersions: fixedVersions(advisory, pin.name),
  };
  const summary = summaryOf(advisory);
  if (summary !== undefined) finding.summary = summary;
  return finding;
};

/** The findings for one pin among a package's advisories, in advisory-id order for stable output. */
export const matchAdvisories = (advisories: readonly OsvAdvisory[], pin: ScanPin): Finding[] =>
  advisories
    .filter((a) => affects(a, pin))
    .map((a) => toFinding(a, pin))
    .toSorted((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
