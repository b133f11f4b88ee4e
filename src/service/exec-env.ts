/**
 * Variables added to every exec call (resolve_exec_env): defense in depth behind the shell gate. Each one was
 * checked against the real tool with a loopback index that would serve the package
 * (test/integration/shell/exec-env.test.ts), and seen arriving in a real exec (test/e2e/shell.test.ts).
 *
 * OpenClaw filters what this hook returns through its host environment policy, which drops npm_config_* (every
 * case), PIP_CONFIG_FILE, PIP_FIND_LINKS, PIP_INDEX_URL, UV_INDEX_URL and the proxy variables: npm and a user's
 * pip.conf cannot be closed from here. The gate is what stops them (README, "Threat model").
 */
export const EXEC_ENV: Readonly<Record<string, string>> = {
  // pip: never ask an index (this overrides --index-url and an index in pip.conf too).
  PIP_NO_INDEX: "1",
  // pip: never install outside a virtualenv (the system's or the user's site-packages).
  PIP_REQUIRE_VIRTUALENV: "1",
  // uv (also uvx, uv run, uv tool): no network at all.
  UV_OFFLINE: "1",
};
