import { rulesFor, type EcosystemRules } from "./ecosystems.js";
import type { OsvAdvisory, OsvAffected, OsvEvent } from "./osv-advisory.js";
import type { Ecosystem, Finding, ScanPin } from "./types.js";

const eventVersion = (event: OsvEvent): string =>
  event.introduced ?? event.fixed ?? event.last_affected ?? event.limit ?? "";

// OSV: "0" as `introduced` means "from the very first version", including pre-releases PEP 440 sorts below 0.
const isZero = (event: OsvEvent): boolean => event.introduced === "0";

const PYPI = rulesFor("PyPI")!;

// Sorted events per (event list, order): the same advisory is matched against many pins.
const sorted = new WeakMap<readonly OsvEvent[], Map<EcosystemRules, OsvEvent[]>>();
const sortedEvents = (events: readonly OsvEvent[], rules: EcosystemRules): OsvEvent[] => {
  let byRules = sorted.get(events);
  if (byRules === undefined) sorted.set(events, (byRules = new Map()));
  let usable = byRules.get(rules);
  if (usable === undefined) {
    const byVersion = (a: OsvEvent, b: OsvEvent): number =>
      isZero(a) ? (isZero(b) ? 0 : -1) : isZero(b) ? 1 : rules.compare(eventVersion(a), eventVersion(b));
    usable = events.filter((e) => isZero(e) || rules.isVersion(eventVersion(e))).toSorted(byVersion);
    byRules.set(rules, usable);
  }
  return usable;
};

/**
 * The OSV spec's evaluation of one range in the ecosystem's order (PEP 440 by default); events whose version the
 * order cannot read are left out.
 */
export const inRange = (version: string, events: readonly OsvEvent[], rules: EcosystemRules = PYPI): boolean => {
  if (!rules.isVersion(version)) return false;
  let affected = false;
  for (const event of sortedEvents(events, rules)) {
    if (event.introduced !== undefined) {
      if (isZero(event) || rules.compare(version, event.introduced) >= 0) affected = true;
    } else if (event.fixed !== undefined) {
      if (rules.compare(version, event.fixed) >= 0) affected = false;
    } else if (event.last_affected !== undefined) {
      if (rules.compare(version, event.last_affected) > 0) affected = false;
    }
    // `limit` only bounds git commit walks; it says nothing about release versions.
  }
  return affected;
};

const entriesFor = (advisory: OsvAdvisory, ecosystem: Ecosystem, name: string, rules: EcosystemRules): OsvAffected[] =>
  advisory.affected.filter((a) => a.package.ecosystem === ecosystem && rules.normalizeName(a.package.name) === name);

const entryAffects = (entry: OsvAffected, version: string, rules: EcosystemRules): boolean =>
  entry.versions.some((v) => rules.same(v, version)) ||
  entry.ranges.some((r) => rules.rangeTypes.includes(r.type) && inRange(version, r.events, rules));

const rulesOf = (ecosystem: Ecosystem): EcosystemRules => {
  const rules = rulesFor(ecosystem);
  if (!rules) throw new Error(`no version rules for the ${ecosystem} ecosystem`);
  return rules;
};

/** Whether a (not withdrawn) advisory affects this pin, by its explicit version list or its ranges. */
export const affects = (advisory: OsvAdvisory, pin: ScanPin): boolean => {
  if (advisory.withdrawn !== undefined) return false;
  const rules = rulesOf(pin.ecosystem);
  return entriesFor(advisory, pin.ecosystem, pin.name, rules).some((e) => entryAffects(e, pin.version, rules));
};

const fixedVersions = (advisory: OsvAdvisory, pin: ScanPin, rules: EcosystemRules): string[] => {
  const fixed = new Set<string>();
  for (const entry of entriesFor(advisory, pin.ecosystem, pin.name, rules)) {
    for (const range of entry.ranges) {
      if (!rules.rangeTypes.includes(range.type)) continue;
      for (const event of range.events) if (event.fixed !== undefined) fixed.add(event.fixed);
    }
  }
  const byOrder = (a: string, b: string): number => {
    const va = rules.isVersion(a);
    const vb = rules.isVersion(b);
    return va && vb ? rules.compare(a, b) : va ? -1 : vb ? 1 : a.localeCompare(b);
  };
  return [...fixed].toSorted(byOrder);
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
    ecosystem: pin.ecosystem,
    package: pin.name,
    version: pin.version,
    fixedVersions: fixedVersions(advisory, pin, rulesOf(pin.ecosystem)),
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
