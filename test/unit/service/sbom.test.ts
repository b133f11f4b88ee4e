import { Spec, Validation } from "@cyclonedx/cyclonedx-library";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import type { InstallRecord, SkillState } from "../../../src/python/environment.js";
import { pylockExport } from "../../../src/service/pylock-export.js";
import { cycloneDxSbom, purlOf, type SbomInput } from "../../../src/service/sbom.js";

const hex = (c: string) => c.repeat(64);
const INDEX = "https://user:tok3n@mirror.example/simple";

const state: SkillState = {
  version: 1,
  skill: "data-viz",
  requirements: { datakit: { specifier: ">=1,<2", extras: [], requestedAt: "2026-06-01T00:00:00.000Z" } },
  pins: [
    { name: "tinycalc", version: "1.1.0", hashes: [`sha256:${hex("b")}`] },
    { name: "datakit", version: "1.0.0", hashes: [`sha256:${hex("a")}`, `sha256:${hex("c")}`] },
  ],
  python: { path: "/v/bin/python", version: "3.11.7" },
  installer: "uv",
  updatedAt: "2026-06-01T00:00:01.000Z",
  lastTxId: "tx",
};
const record: InstallRecord = {
  version: 1,
  skill: "data-viz",
  updatedAt: "2026-06-01T00:00:01.000Z",
  pins: {
    "datakit==1.0.0": {
      files: [
        {
          filename: "datakit-1.0.0-py3-none-any.whl",
          url: "https://mirror.example/files/datakit-1.0.0-py3-none-any.whl",
          sha256: hex("a"),
          uploadTime: "2024-01-02T03:04:05.000000Z",
          size: 962,
        },
        {
          filename: "datakit-1.0.0.tar.gz",
          url: "https://mirror.example/files/datakit-1.0.0.tar.gz",
          sha256: hex("c"),
          uploadTime: null,
          size: null,
        },
      ],
      scan: { scanner: "osv-db:/adv", scannedAt: "2026-06-01T00:00:00.500Z", accepted: [] },
    },
    "tinycalc==1.1.0": {
      files: [
        {
          filename: "tinycalc-1.1.0-py3-none-any.whl",
          path: "/srv/wheels/tinycalc-1.1.0-py3-none-any.whl",
          sha256: hex("b"),
          uploadTime: null,
          size: null,
        },
      ],
      scan: {
        scanner: "osv-db:/adv",
        scannedAt: "2026-06-01T00:00:00.500Z",
        accepted: [
          {
            id: "PYSEC-2099-7",
            aliases: ["CVE-2099-0007"],
            package: "tinycalc",
            version: "1.1.0",
            fixedVersions: ["1.2.0"],
            summary: "unsafe eval",
            acceptedBy: "override ovr_1",
            reason: "only the safe API is used",
            expires: "2026-12-31",
          },
        ],
      },
    },
  },
};
const input: SbomInput = { skill: "data-viz", state, record, indexUrl: INDEX, now: new Date("2026-06-02T00:00:00Z") };

type Bom = {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: { timestamp: string; component: { name: string } };
  components: {
    name: string;
    version: string;
    purl: string;
    "bom-ref": string;
    hashes?: { alg: string; content: string }[];
    externalReferences?: { url: string; type: string; hashes: { content: string }[]; comment: string }[];
    properties: { name: string; value: string }[];
  }[];
  vulnerabilities: { id: string; affects: { ref: string }[]; analysis: { detail: string }; recommendation: string }[];
};

describe("CycloneDX SBOM of a skill", () => {
  it("is valid CycloneDX 1.6 (the library's strict JSON schema validator)", async () => {
    const bom = cycloneDxSbom(input);
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    expect(await validator.validate(JSON.stringify(bom))).toBeNull();
    // The validator does reject what the schema does not allow.
    const broken = { ...bom, components: [{ type: "nonsense", name: "x" }] };
    expect(await validator.validate(JSON.stringify(broken))).not.toBeNull();
  });

  it("lists every pin with its purl, digests, files and the scan it passed; no token anywhere", () => {
    const bom = cycloneDxSbom(input) as unknown as Bom;
    expect([bom.bomFormat, bom.specVersion, bom.metadata.component.name]).toEqual(["CycloneDX", "1.6", "data-viz"]);
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    const repo = "?repository_url=https%3A%2F%2Fmirror.example%2Fsimple";
    expect(bom.components.map((c) => [c.name, c.version, c.purl, c.hashes ?? []])).toEqual([
      // Two files, two digests: the component itself claims neither; each distribution reference carries its own.
      ["datakit", "1.0.0", `pkg:pypi/datakit@1.0.0${repo}`, []],
      ["tinycalc", "1.1.0", `pkg:pypi/tinycalc@1.1.0${repo}`, [{ alg: "SHA-256", content: hex("b") }]],
    ]);
    const datakit = bom.components[0]!;
    expect(datakit.externalReferences!.map((r) => [r.type, r.url, r.hashes[0]!.content, r.comment])).toEqual([
      [
        "distribution",
        "https://mirror.example/files/datakit-1.0.0-py3-none-any.whl",
        hex("a"),
        "datakit-1.0.0-py3-none-any.whl, uploaded 2024-01-02T03:04:05.000000Z",
      ],
      ["distribution", "https://mirror.example/files/datakit-1.0.0.tar.gz", hex("c"), "datakit-1.0.0.tar.gz"],
    ]);
    expect(Object.fromEntries(datakit.properties.map((p) => [p.name, p.value]))).toEqual({
      "package-guard:direct": "true",
      "package-guard:scan:result": "no known vulnerabilities",
      "package-guard:scan:scanner": "osv-db:/adv",
      "package-guard:scan:checked-at": "2026-06-01T00:00:00.500Z",
    });
    expect(bom.components[1]!.externalReferences![0]!.url).toBe("file:///srv/wheels/tinycalc-1.1.0-py3-none-any.whl");
    expect(JSON.stringify(bom)).not.toContain("tok3n");
  });

  it("names each accepted vulnerability, the component it affects, who accepted it and until when", () => {
    const bom = cycloneDxSbom(input) as unknown as Bom;
    expect(bom.vulnerabilities).toEqual([
      expect.objectContaining({
        id: "PYSEC-2099-7",
        affects: [{ ref: purlOf("tinycalc", "1.1.0", INDEX) }],
        analysis: { detail: "Accepted by override ovr_1 until 2026-12-31: only the safe API is used" },
        recommendation: "Upgrade to 1.2.0",
      }),
    ]);
  });

  it("a pin without a record says so rather than claiming a clean scan", () => {
    const bom = cycloneDxSbom({ ...input, record: { ...record, pins: {} } }) as unknown as Bom;
    const result = bom.components.map((c) => c.properties.find((p) => p.name === "package-guard:scan:result")?.value);
    expect(result).toEqual(["not recorded", "not recorded"]);
    expect(bom.vulnerabilities ?? []).toEqual([]);
  });
});

describe("the last scan in the SBOM", () => {
  const rescan = (scannedAt: string) => ({
    scannedAt,
    scanner: "osv-db:managed",
    pins: [
      {
        ecosystem: "PyPI" as const,
        package: "tinycalc",
        version: "1.1.0",
        findings: [{ id: "MAL-2099-9", aliases: [], malicious: true, fixedVersions: [] }],
      },
    ],
  });
  const props = (bom: Bom, name: string) =>
    Object.fromEntries(bom.components.find((c) => c.name === name)!.properties.map((p) => [p.name, p.value]));

  it("a re-scan after the install is the last scan: its findings, malware too, replace the install's", async () => {
    const bom = cycloneDxSbom({ ...input, rescan: rescan("2026-06-01T12:00:00.000Z") }) as unknown as Bom;
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(JSON.stringify(bom))).toBeNull();
    expect(props(bom, "tinycalc")).toMatchObject({
      "package-guard:scan:result": "malware",
      "package-guard:scan:scanner": "osv-db:managed",
      "package-guard:scan:checked-at": "2026-06-01T12:00:00.000Z",
    });
    // A pin the re-scan covered and found nothing in is clean as of the re-scan.
    expect(props(bom, "datakit")["package-guard:scan:result"]).toBe("no known vulnerabilities");
    expect(bom.vulnerabilities.map((v) => [v.id, v.analysis.detail])).toEqual([
      [
        "MAL-2099-9",
        "Malware, found by the re-scan of 2026-06-01T12:00:00.000Z: never overridable; remove or quarantine the skill",
      ],
    ]);
  });

  it("a re-scan older than the install does not speak for it", () => {
    const bom = cycloneDxSbom({ ...input, rescan: rescan("2026-05-01T00:00:00.000Z") }) as unknown as Bom;
    expect(props(bom, "tinycalc")["package-guard:scan:result"]).toBe("known vulnerabilities");
    expect(bom.vulnerabilities.map((v) => v.id)).toEqual(["PYSEC-2099-7"]);
  });
});

describe("pylock.toml export (PEP 751)", () => {
  it("parses back into every pin with its files, hashes and upload times", () => {
    const text = pylockExport(input);
    expect(text).not.toContain("tok3n");
    const lock = parse(text) as {
      "lock-version": string;
      "created-by": string;
      packages: Record<string, unknown>[];
    };
    expect([lock["lock-version"], lock["created-by"]]).toEqual(["1.0", "package-guard"]);
    expect(JSON.parse(JSON.stringify(lock.packages))).toEqual([
      {
        name: "datakit",
        version: "1.0.0",
        index: "https://mirror.example/simple",
        sdist: {
          name: "datakit-1.0.0.tar.gz",
          url: "https://mirror.example/files/datakit-1.0.0.tar.gz",
          hashes: { sha256: hex("c") },
        },
        wheels: [
          {
            name: "datakit-1.0.0-py3-none-any.whl",
            url: "https://mirror.example/files/datakit-1.0.0-py3-none-any.whl",
            "upload-time": "2024-01-02T03:04:05.000Z",
            size: 962,
            hashes: { sha256: hex("a") },
          },
        ],
      },
      {
        name: "tinycalc",
        version: "1.1.0",
        wheels: [
          {
            name: "tinycalc-1.1.0-py3-none-any.whl",
            path: "/srv/wheels/tinycalc-1.1.0-py3-none-any.whl",
            hashes: { sha256: hex("b") },
          },
        ],
      },
    ]);
  });

  it("refuses to write a lock missing a pin's files, naming it", () => {
    expect(() =>
      pylockExport({ ...input, record: { ...record, pins: { "datakit==1.0.0": record.pins["datakit==1.0.0"]! } } }),
    ).toThrow("No recorded files for tinycalc 1.1.0 in skill 'data-viz'");
  });
});
