import { readdir, readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, type PackageGuardConfig } from "../../../src/config.js";
import { isPackageGuardError } from "../../../src/errors.js";
import { openServices } from "../../../src/runtime.js";
import type { RuntimeOptions } from "../../../src/runtime.js";
import type { NpmPackageService } from "../../../src/service/npm-pipeline.js";
import type { Services } from "../../../src/service/services.js";
import type { Runner } from "../../../src/util/exec.js";
import type { OsvRecord } from "../../helpers/osv-server.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";

/** The OSV npm fixtures (test/fixtures/osv-npm/records): GHSA-9999-vuln-0001, GHSA-9999-scop-0002, MAL-2099-7. */
export const OSV_NPM_FIXTURES = join(REPO_ROOT, "test", "fixtures", "osv-npm", "records");

export const osvNpmRecords = async (): Promise<OsvRecord[]> =>
  Promise.all(
    (await readdir(OSV_NPM_FIXTURES))
      .filter((f) => f.endsWith(".json"))
      .toSorted()
      .map(async (f) => JSON.parse(await readFile(join(OSV_NPM_FIXTURES, f), "utf8")) as OsvRecord),
  );

export type NpmHarness = {
  stateDir: string;
  config: PackageGuardConfig;
  services: Services;
  service: NpmPackageService;
  cleanup(): Promise<void>;
};

/** The services as the plugin wires them (runtime.ts), for a plugin block, against a real npm unless `runner`. */
export const npmHarness = async (
  block: Record<string, unknown>,
  runner?: Runner,
  options: RuntimeOptions = {},
): Promise<NpmHarness> => {
  const stateDir = await mkdtemp(join(tmpdir(), "pg-npm-"));
  const config = parseConfig(block, stateDir);
  const services = await openServices(config, { ...options, ...(runner ? { runner } : {}) });
  return {
    stateDir,
    config,
    services,
    service: services.npm,
    cleanup: () => rm(stateDir, { recursive: true, force: true }),
  };
};

export const denial = async (
  p: Promise<unknown>,
): Promise<{ code: string; message: string; details: Record<string, unknown> }> => {
  try {
    await p;
  } catch (error) {
    if (isPackageGuardError(error)) return { code: error.code, message: error.message, details: error.details ?? {} };
    throw error;
  }
  throw new Error("expected a denial");
};

/** Entries of a folder, [] when it does not exist. */
export const list = (dir: string): Promise<string[]> => readdir(dir).catch(() => []);
