import { randomUUID } from "node:crypto";
import { Enums, Models, Serialize, Spec } from "@cyclonedx/cyclonedx-library";
import type { InstallRecord, PinRecord, ReleaseFile, SkillState } from "../python/environment.js";
import { ownVersion } from "../util/own-version.js";
import { redactUrl } from "../util/redact-url.js";

export type SbomInput = { skill: string; state: SkillState; record: InstallRecord; indexUrl: string; now: Date };

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

const scanResult = (record: PinRecord | undefined): string =>
  !record?.scan
    ? "not recorded"
    : record.scan.accepted.length === 0
      ? "no known vulnerabilities"
      : "known vulnerabilities accepted by an operator";

const properties = (entries: [string, string | undefined][]): Models.PropertyRepository =>
  new Models.PropertyRepository(
    entries
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([name, value]) => new Models.Property(`${PREFIX}:${name}`, value)),
  );

/**
 * A CycloneDX 1.6 BOM of what a skill's venv holds: every pin with its purl, its files' SHA-256 digests and upload
 * times, whether the skill asked for it or got it as a dependency, and the scan it passed at install time; every
 * known vulnerability an operator let in (override or ignore rule) is listed with who accepted it and until when.
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
        ["scan:result", scanResult(pinRecord)],
        ["scan:scanner", pinRecord?.scan?.scanner],
        ["scan:checked-at", pinRecord?.scan?.scannedAt],
      ]),
    });
    bom.components.add(component);
    for (const f of pinRecord?.scan?.accepted ?? []) {
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
          analysis: new Models.Vulnerability.Analysis({
            detail: `Accepted by ${f.acceptedBy} until ${f.expires}: ${f.reason}`,
          }),
          affects: new Models.Vulnerability.AffectRepository([new Models.Vulnerability.Affect(component.bomRef)]),
        }),
      );
    }
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return JSON.parse(serializer.serialize(bom, { sortLists: true })) as Record<string, unknown>;
};
