import { stringify } from "smol-toml";
import { PackageGuardError } from "../errors.js";
import type { ReleaseFile } from "../python/environment.js";
import { redactUrl } from "../util/redact.js";
import type { SbomInput } from "./sbom.js";

const SDIST = /\.(?:tar\.gz|zip)$/;

const fileEntry = (file: ReleaseFile): Record<string, unknown> => ({
  name: file.filename,
  ...(file.url ? { url: file.url } : { path: file.path }),
  ...(file.uploadTime ? { "upload-time": new Date(file.uploadTime) } : {}),
  ...(file.size !== null ? { size: file.size } : {}),
  hashes: { sha256: file.sha256 },
});

/**
 * A PEP 751 lock file (`pylock.toml`) of what a skill's venv holds: every pin with the files it may be installed
 * from, their SHA-256 and upload times, so `uv pip sync pylock.toml` elsewhere gets exactly the scanned set.
 * Written from the install record alone (no network); a pin without a recorded file (installed before records were
 * kept) cannot be locked, and is named.
 */
export const pylockExport = (input: SbomInput): string => {
  const { state, record, indexUrl, skill } = input;
  const pins = state.pins.toSorted((a, b) => a.name.localeCompare(b.name));
  const missing = pins.filter((p) => (record.pins[`${p.name}==${p.version}`]?.files.length ?? 0) === 0);
  if (missing.length > 0) {
    throw new PackageGuardError(
      "NOT_FOUND",
      `No recorded files for ${missing.map((p) => `${p.name} ${p.version}`).join(", ")} in skill '${skill}', so ` +
        `no lock file can be written; reinstall them to record where they came from`,
      { details: { skill, missing: missing.map((p) => p.name) } },
    );
  }
  const index = redactUrl(indexUrl);
  const packages = pins.map((pin) => {
    const files = record.pins[`${pin.name}==${pin.version}`]!.files;
    const wheels = files.filter((f) => f.filename.endsWith(".whl"));
    const sdist = files.find((f) => SDIST.test(f.filename));
    const entry: Record<string, unknown> = { name: pin.name, version: pin.version };
    if (files.some((f) => f.url)) entry.index = index;
    if (sdist) entry.sdist = fileEntry(sdist);
    if (wheels.length > 0) entry.wheels = wheels.map(fileEntry);
    return entry;
  });
  const header =
    `# The Python packages of skill '${skill}', as package-guard installed and scanned them.\n` +
    `# Install the same set elsewhere with: uv pip sync pylock.toml\n`;
  return header + stringify({ "lock-version": "1.0", "created-by": "package-guard", packages });
};
