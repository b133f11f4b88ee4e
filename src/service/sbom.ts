import { randomUUID } from "node:crypto";
import { Enums, Models, Serialize, Spec } from "@cyclonedx/cyclonedx-library";
import type { InstallRecord, PinRecord, ReleaseFile, SkillState } from "../python/environment.js";
import { ownVersion } from "../util/own-version.js";
import { redactUrl } from "../util/redact.js";
import type { ExposedPin } from "./exposure.js";

/** The last re-scan of installed skills (exposure.json), when there was one: its findings in this skill. */
export type RescanInput = { scannedAt: string; scanner: string; pins: readonly ExposedPin[] };

export type SbomInput = {
  skill: string;
  state: SkillState;
  record: InstallRecord;
  rescan?: RescanInput | null;
  indexUrl: string;
  now: Date;
};

const PYPI = /^https:\/\/pypi\.org\/simple\/?$/;
const PREFIX = "package-guard";

/** purl-spec's pypi type: the PEP 503 name; a repository other than PyPI is named as a qualifier. */
export const purlOf = (name: string, version: string, indexUrl: string): string =>
  `pkg:pypi/${name}@${encodeURIComponent(version)}` +
  (PYPI.test(indexUrl) ? "" : `?repository_url=${encodeURIComponent(redactUrl(indexUrl))}`);

const hashesOf = (hexes: readonly string[]): Models.HashDictionary => {
  const hashes = new Models.HashDictionary();
  // A dictionary holds one digest per algorithm: the component gets one only when it is unambiguous; each file
  // keeps its own on its distribution reference.
  if (hexes.length === 1) hashes.set(Enums.HashAlgorithm["SHA-256"], hexes[0]!);
  return hashes;
};

const distribution = (file: ReleaseFile): Models.ExternalReference =>
  new Models.ExternalReference(
    file.url ?? `file://${file.path ?? file.filename}`,
    Enums.ExternalReferenceType.Distribution,
    {
      hashes: hashesOf([file.sha256]),
      comment: `${file.filename}${file.uploadTime ? `, uploaded ${file.uploadTime}` : ""}`,
    },
  );

/** A known vulnerability in one pin as its last scan saw it, and why it is in the venv. */
type Known = {
  id: string;
  aliases: string[];
  summary: string | undefined;
  fixedVersions: string[];
  malicious: boolean;
  detail: string;
};

type LastScan = { scanner: string; at: string; known: Known[] } | null;

/**
 * The newer of the scan a pin passed at install time and the last re-scan of the installed skills (a re-scan covers
 * every pin installed before it ran; only skills with findings are listed in it).
 */
const lastScan = (
  pin: { name: string; version: string },
  record: PinRecord | undefined,
  rescan: RescanInput | null,
): LastScan => {
  const installScan = record?.scan ?? null;
  if (rescan && (!installScan || rescan.scannedAt > installScan.scannedAt)) {
    const found = rescan.pins.find((p) => p.package === pin.name && p.version === pin.version)?.findings ?? [];
    return {
      scanner: rescan.scanner,
      at: rescan.scannedAt,
      known: found.map((f): Known => ({
        id: f.id,
        aliases: f.aliases,
        summary: f.summary,
        fixedVersions: f.fixedVersions,
        malicious: f.malicious,
        detail: f.malicious
          ? `Malware, found by the re-scan of ${rescan.scannedAt}: never overridable; remove or quarantine the skill`
          : f.override
            ? `Found by the re-scan of ${rescan.scannedAt}; accepted by override ${f.override}`
            : `Found by the re-scan of ${rescan.scannedAt}, after the install; not accepted by anyone`,
      })),
    };
  }
  if (!installScan) return null;
  return {
    scanner: installScan.scanner,
    at: installScan.scannedAt,
    known: installScan.accepted.map((f): Known => ({
      id: f.id,
      aliases: f.aliases,
      summary: f.summary,
      fixedVersions: f.fixedVersions,
      malicious: false,
      detail: `Accepted by ${f.acceptedBy} until ${f.expires}: ${f.reason}`,
    })),
  };
};

const scanResult = (scan: LastScan): string =>
  !scan
    ? "not recorded"
    : scan.known.some((k) => k.malicious)
      ? "malware"
      : scan.known.length === 0
        ? "no known vulnerabilities"
        : "known vulnerabilities";

const properties = (entries: [string, string | undefined][]): Models.PropertyRepository =>
  new Models.PropertyRepository(
    entries
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([name, value]) => new Models.Property(`${PREFIX}:${name}`, value)),
  );

/**
 * A CycloneDX 1.6 BOM of what a skill's venv holds: every pin with its purl, its files' SHA-256 digests and upload
 * times, whether the skill asked for it or got it as a dependency, and its last scan (the install's, or a later
 * re-scan's); every known vulnerability that scan saw in it is listed, with who accepted it and until when, or that
 * nobody did (a finding a re-scan made after the install), or that it is malware.
 */
export const cycloneDxSbom = (input: SbomInput): Record<string, unknown> => {
  const { skill, state, record, indexUrl, now } = input;
  const tool = new Models.Component(Enums.ComponentType.Application, "openclaw-package-guard", {
    version: ownVersion(),
  });
  const bom = new Models.Bom({
    serialNumber: `urn:uuid:${randomUUID()}`,
    metadata: new Models.Metadata({
      timestamp: now,
      tools: new Models.Tools({ components: new Models.ComponentRepository([tool]) }),
      component: new Models.Component(Enums.ComponentType.Application, skill, {
        bomRef: `skill:${skill}`,
        description: `Python packages of the OpenClaw skill '${skill}'`,
        properties: properties([
          ["python", state.python.version ?? undefined],
          ["installer", state.installer],
          ["index", redactUrl(indexUrl)],
          ["updated-at", state.updatedAt],
        ]),
      }),
    }),
  });
  for (const pin of state.pins.toSorted((a, b) => a.name.localeCompare(b.name))) {
    const pinRecord = record.pins[`${pin.name}==${pin.version}`];
    const scan = lastScan(pin, pinRecord, input.rescan ?? null);
    const purl = purlOf(pin.name, pin.version, indexUrl);
    const component = new Models.Component(Enums.ComponentType.Library, pin.name, {
      bomRef: purl,
      version: pin.version,
      purl,
      scope: Enums.ComponentScope.Required,
      hashes: hashesOf(pin.hashes.map((h) => h.replace(/^sha256:/, ""))),
      externalReferences: new Models.ExternalReferenceRepository((pinRecord?.files ?? []).map(distribution)),
      properties: properties([
        ["direct", String(Object.hasOwn(state.requirements, pin.name))],
        ["scan:result", scanResult(scan)],
        ["scan:scanner", scan?.scanner],
        ["scan:checked-at", scan?.at],
      ]),
    });
    bom.components.add(component);
    for (const f of scan?.known ?? []) {
      bom.vulnerabilities.add(
        new Models.Vulnerability.Vulnerability({
          bomRef: `${f.id}@${purl}`,
          id: f.id,
          source: new Models.Vulnerability.Source({ name: "OSV", url: `https://osv.dev/vulnerability/${f.id}` }),
          references: new Models.Vulnerability.ReferenceRepository(
            f.aliases.map(
              (a) =>
                new Models.Vulnerability.Reference(
                  a,
                  new Models.Vulnerability.Source({ url: `https://osv.dev/vulnerability/${a}` }),
                ),
            ),
          ),
          ...(f.summary ? { description: f.summary } : {}),
          ...(f.fixedVersions.length > 0 ? { recommendation: `Upgrade to ${f.fixedVersions.join(" or ")}` } : {}),
          analysis: new Models.Vulnerability.Analysis({ detail: f.detail }),
          affects: new Models.Vulnerability.AffectRepository([new Models.Vulnerability.Affect(component.bomRef)]),
        }),
      );
    }
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return JSON.parse(serializer.serialize(bom, { sortLists: true })) as Record<string, unknown>;
};
