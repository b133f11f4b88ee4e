import { parseConfig, type PackageGuardConfig } from "../../../src/config.js";

/** The configuration both the test and its crashing child use, so they agree on every path. */
export const harnessConfig = (stateDir: string, indexUrl: string, uv: string): PackageGuardConfig =>
  parseConfig(
    { python: { uv, python: "python3", installTimeoutMs: 120_000, lockTimeoutMs: 10_000 }, index: { url: indexUrl } },
    stateDir,
  );
