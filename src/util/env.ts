/**
 * SECURITY: child processes never inherit the gateway's environment. Only these variables pass through;
 * everything that could redirect an index or change what gets installed (UV_*, PIP_*, PYTHON*, VIRTUAL_ENV,
 * proxies pointing elsewhere, config-file locations) is dropped by construction.
 */
// REQUESTS_CA_BUNDLE: pip-audit (requests) trusts only its own bundle otherwise; it changes trust, never the index.
const PASS_THROUGH = [
  "PATH",
  "LANG",
  "LC_ALL",
  "TZ",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "REQUESTS_CA_BUNDLE",
  "TMPDIR",
] as const;

export type ChildEnv = Record<string, string>;

export const childEnv = (extra: ChildEnv = {}, source: NodeJS.ProcessEnv = process.env): ChildEnv => {
  const env: ChildEnv = {};
  for (const key of PASS_THROUGH) {
    const value = source[key];
    if (value !== undefined) env[key] = value;
  }
  // A HOME of our own keeps ~/.config/pip, ~/.config/uv and ~/.pydistutils.cfg out of reach.
  return { PIP_CONFIG_FILE: "/dev/null", PYTHONNOUSERSITE: "1", NO_COLOR: "1", ...env, ...extra };
};
