/**
 * Variables added to every exec call (resolve_exec_env): defense in depth behind the shell gate. Each one was
 * checked against the real tool with a loopback index that would serve the package
 * (test/integration/shell/exec-env.test.ts): with it, an install that slipped past the parser does not fetch.
 * yarn, conda and corepack have variables of their own, but are not on the test machine, so none is set for them:
 * the gate blocks those installers, and the sandbox is the real boundary (README, "Threat model").
 */
export const EXEC_ENV: Readonly<Record<string, string>> = {
  // pip: never ask an index (this overrides --index-url too), and never install outside a virtualenv.
  PIP_NO_INDEX: "1",
  PIP_REQUIRE_VIRTUALENV: "1",
  // No pip.conf can add find-links or an index back.
  PIP_CONFIG_FILE: "/dev/null",
  // uv (also uvx, uv run, uv tool): no network at all.
  UV_OFFLINE: "1",
  // npm, npx and pnpm read npm_config_*: only what is already in the cache, and no install scripts.
  npm_config_offline: "true",
  npm_config_ignore_scripts: "true",
};
