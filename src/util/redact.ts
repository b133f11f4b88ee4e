// Query parameters that commonly carry a secret (signed URLs, API tokens).
const SECRET_PARAM = /token|key|sig|secret|pass|auth|credential/i;

/**
 * A URL as it may be shown or stored: no userinfo, secret-looking query values masked. SECURITY: mirror URLs may
 * carry credentials; they must never reach messages, logs, audit records or cache keys.
 */
export const redactUrl = (url: string): string => {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, "//");
  }
  u.username = "";
  u.password = "";
  for (const key of new Set(u.searchParams.keys())) if (SECRET_PARAM.test(key)) u.searchParams.set(key, "***");
  return u.toString();
};

const SECRET_NAMES = "password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth";
const SECRET_ASSIGNMENT = new RegExp(
  `((?:${SECRET_NAMES})[A-Za-z0-9_]*\\s*[=:]\\s*)("[^"]*"|'[^']*'|[^\\s'"&;|]+)`,
  "gi",
);

/**
 * SECURITY: free text an agent wrote (a shell command) may carry credentials anywhere in it (`https://user:token@host`,
 * `Authorization: Bearer …`, `--password x`, `TOKEN=…`). Everything the shell gate records or says back goes through
 * this first.
 */
export const redactSecrets = (text: string): string =>
  text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]+@/gi, "$1***@")
    .replace(/\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi, "$1$2***")
    .replace(SECRET_ASSIGNMENT, "$1***")
    .replace(/(--(?:password|token|api-key|auth|secret|otp)(?:=|\s+))("[^"]*"|'[^']*'|\S+)/gi, "$1***");
