import type { AuditRecord } from "../../../src/audit/log.js";
import type { Maturity } from "../../../src/config.js";
import { PackageGuardError } from "../../../src/errors.js";
import type { Finding } from "../../../src/scan/types.js";
import type { PackageFiles } from "../../../src/service/widget-files.js";
import type { WidgetPolicy } from "../../../src/service/widget-gate.js";
import type { PackageContents } from "../../../src/widgets/tarball.js";
import { readLines } from "../audit/helpers.js";

/** The npm whitelist and scanner, faked until the npm-core work is on main: exact name@version sets per maturity. */
export class FakePolicy implements WidgetPolicy {
  allowed = new Map<string, Maturity[]>();
  findings = new Map<string, Finding[]>();
  scans: string[] = [];
  scannerDown = false;

  allow(name: string, version: string, maturity: Maturity): Promise<void> {
    const levels = this.allowed.get(`${name}@${version}`);
    if (!levels) return Promise.reject(new PackageGuardError("NOT_WHITELISTED", `${name} is not on the whitelist`));
    if (!levels.includes(maturity))
      return Promise.reject(new PackageGuardError("NOT_WHITELISTED", `${name} is not approved for ${maturity}`));
    return Promise.resolve();
  }

  scan(name: string, version: string): Promise<Finding[]> {
    this.scans.push(`${name}@${version}`);
    if (this.scannerDown) return Promise.reject(new PackageGuardError("SCANNER_UNAVAILABLE", "scanner down"));
    return Promise.resolve(this.findings.get(`${name}@${version}`) ?? []);
  }
}

/** Package files from memory; counts how often each release was asked for. */
export class FakeFiles implements PackageFiles {
  packages = new Map<string, Record<string, string>>();
  calls: string[] = [];

  contents(name: string, version: string): Promise<PackageContents> {
    this.calls.push(`${name}@${version}`);
    const files = this.packages.get(`${name}@${version}`);
    if (!files) return Promise.reject(new PackageGuardError("NOT_FOUND", `${name}@${version} is not published`));
    const map = new Map(Object.entries(files).map(([p, c]) => [p, Buffer.from(c)]));
    return Promise.resolve({ files: map, ambiguous: new Set(), bytes: 0 });
  }
}

export const finding = (id: string, pkg: string, version: string, aliases: string[] = []): Finding => ({
  id,
  aliases,
  ecosystem: "npm",
  package: pkg,
  version,
  fixedVersions: [],
});

export const auditRecords = async (file: string): Promise<AuditRecord[]> =>
  (await readLines(file)).map((l) => JSON.parse(l) as AuditRecord);
