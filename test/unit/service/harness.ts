import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { compare, satisfies } from "@renovatebot/pep440";
import { parseConfig } from "../../../src/config.js";
import type { FetchFn } from "../../../src/python/simple-api.js";
import { openServices } from "../../../src/runtime.js";
import type { Services } from "../../../src/service/services.js";
import { fakePython, hashOf, type FakeOptions } from "../python/fake-python.js";

/** One release in the fake index: its dependencies as "name" or "name<spec>" strings. */
export type Release = { name: string; version: string; requires?: string[] };

/** The hash the catalogue resolver gives a release. */
const releaseHash = (release: Release): string => hashOf(release.version.replace(/\D/g, "") || "a");

const REQ = /^([a-z0-9-]+)(?:\[[^\]]*\])?(.*)$/;

const parseLines = (text: string | null): { name: string; spec: string }[] =>
  (text ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = REQ.exec(l)!;
      return { name: m[1]!, spec: m[2]!.trim() };
    });

const fits = (version: string, specs: string[]): boolean =>
  specs.every((s) => s === "" || satisfies(version, s, { prereleases: false }) || s === `==${version}`);

/**
 * A tiny stand-in for `uv pip compile` over a fixed catalogue: for each requirement the newest release that meets
 * every requirement and constraint on its name, dependencies followed greedily, output with hashes and `# via` notes
 * as uv writes them. Fails like uv when nothing fits.
 */
export const catalogueResolver =
  (catalogue: readonly Release[]) =>
  (requirements: string, constraints: string | null): { stdout: string; stderr?: string; exitCode?: number } => {
    const limits = new Map<string, string[]>();
    for (const c of parseLines(constraints)) limits.set(c.name, [...(limits.get(c.name) ?? []), c.spec]);
    const chosen = new Map<string, { release: Release; via: Set<string> }>();
    const queue = parseLines(requirements).map((r) => ({ name: r.name, spec: r.spec, parent: null as string | null }));
    const extra = new Map<string, string[]>();
    while (queue.length > 0) {
      const { name, spec, parent } = queue.shift()!;
      extra.set(name, [...(extra.get(name) ?? []), spec]);
      const specs = [...(extra.get(name) ?? []), ...(limits.get(name) ?? [])];
      const existing = chosen.get(name);
      if (existing && fits(existing.release.version, specs)) {
        if (parent) existing.via.add(parent);
        continue;
      }
      const candidates = catalogue
        .filter((r) => r.name === name && fits(r.version, specs))
        .toSorted((a, b) => compare(b.version, a.version));
      const pick = candidates[0];
      if (!pick)
        return {
          stdout: "",
          stderr: `error: No solution found\n  cause: Because there is no version of ${name}${specs.join(",")} …\n`,
          exitCode: 1,
        };
      chosen.set(name, { release: pick, via: new Set(parent ? [parent] : []) });
      for (const dep of pick.requires ?? []) {
        const m = REQ.exec(dep)!;
        queue.push({ name: m[1]!, spec: m[2]!.trim(), parent: name });
      }
    }
    const stdout = [...chosen.values()]
      .toSorted((a, b) => a.release.name.localeCompare(b.release.name))
      .map(({ release, via }) => {
        const notes = via.size === 0 ? "    # via -r requirements.in\n" : `    # via ${[...via].join(", ")}\n`;
        const hash = releaseHash(release);
        return `${release.name}==${release.version} \\\n    --hash=${hash}\n${notes}`;
      })
      .join("");
    return { stdout };
  };

/**
 * The index's PEP 691 project pages for the same catalogue, for the release check: every release an old, unyanked
 * wheel with the hash the resolver reports.
 */
export const catalogueIndex =
  (catalogue: readonly Release[]): FetchFn =>
  async (input) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const name = url.pathname.split("/").findLast(Boolean) ?? "";
    const files = catalogue
      .filter((r) => r.name === name)
      .map((r) => {
        const filename = `${r.name.replace(/-/g, "_")}-${r.version}-py3-none-any.whl`;
        return {
          filename,
          url: `/files/${filename}`,
          hashes: { sha256: releaseHash(r).slice("sha256:".length) },
          "upload-time": "2024-01-01T00:00:00Z",
        };
      });
    return new Response(JSON.stringify({ meta: { "api-version": "1.1" }, name, files }), {
      headers: { "content-type": "application/vnd.pypi.simple.v1+json" },
    });
  };

export type Advisory = { id: string; package: string; versions: string[] };

/** A PyPA-layout advisory folder (vulns/<package>/<id>.yaml) for the offline scanner. */
export const writeAdvisories = async (dir: string, advisories: readonly Advisory[]): Promise<void> => {
  for (const a of advisories) {
    await mkdir(join(dir, "vulns", a.package), { recursive: true });
    await writeFile(
      join(dir, "vulns", a.package, `${a.id}.yaml`),
      [
        `id: ${a.id}`,
        "affected:",
        "- package:",
        `    name: ${a.package}`,
        "    ecosystem: PyPI",
        "  versions:",
        ...a.versions.map((v) => `  - '${v}'`),
        "",
      ].join("\n"),
    );
  }
};

export type ServiceHarness = Awaited<ReturnType<typeof fakePython>> & { services: Services; stateDir: string };

/**
 * The real services (policy, pipeline, audit log, approvals, overrides, offline scanner) over a fake uv/python:
 * fast, and every installer call is recorded.
 */
export const serviceHarness = async (
  options: {
    catalogue?: readonly Release[];
    advisories?: readonly Advisory[];
    block?: Record<string, unknown>;
    fake?: Omit<FakeOptions, "compile">;
  } = {},
): Promise<ServiceHarness> => {
  const fake = await fakePython({ ...options.fake, compile: catalogueResolver(options.catalogue ?? []) });
  const advisoryDir = join(fake.root, "advisories");
  await writeAdvisories(advisoryDir, [
    // The offline scanner wants a real tree; this one matches nothing the tests install.
    { id: "PYSEC-0000-0", package: "never-installed", versions: ["0.0.1"] },
    ...(options.advisories ?? []),
  ]);
  const stateDir = join(fake.root, "state");
  const block = options.block ?? {};
  const config = parseConfig(
    {
      ...block,
      python: { uv: fake.uv, python: fake.python, lockTimeoutMs: 2000, ...(block.python as object) },
      index: { url: "https://index.invalid/simple" },
      scan: { scanner: "osv-db", osvDbDir: advisoryDir },
    },
    stateDir,
  );
  const services = await openServices(config, { runner: fake.runner, fetch: catalogueIndex(options.catalogue ?? []) });
  return { ...fake, config, services, stateDir };
};
