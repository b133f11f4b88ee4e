/**
 * Variables added to every exec call (resolve_exec_env): defense in depth behind the shell gate. Each one was
 * checked against the real tool (test/integration/shell/exec-env.test.ts): with them, a pip, uv or npm install
 * that slipped past the parser cannot fetch from an index even when one is reachable.
 */
export const EXEC_ENV: Readonly<Record<string, string>> = {
  // pip: no index at all (also overrides --index-url), and never outside a virtualenv.
  PIP_NO_INDEX: "1",
  PIP_REQUIRE_VIRTUALENV: "1",
  // No pip.conf/PIP config file can add find-links or an index back.
  PIP_CONFIG_FILE: "/dev/null",
  PIP_DISABLE_PIP_VERSION_CHECK: "1",
  // uv (also uvx, uv run, uv tool): no network, and no downloaded interpreters.
  UV_OFFLINE: "1",
  UV_PYTHON_DOWNLOADS: "never",
  // npm, npx, pnpm (npm_config_*): only what is already in the cache, and no install scripts.
  npm_config_offline: "true",
  npm_config_ignore_scripts: "true",
  npm_config_update_notifier: "false",
  // yarn berry, corepack, conda.
  YARN_ENABLE_NETWORK: "0",
  YARN_ENABLE_SCRIPTS: "0",
  COREPACK_ENABLE_NETWORK: "0",
  CONDA_OFFLINE: "true",
};
