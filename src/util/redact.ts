/**
 * SECURITY: commands an agent typed may carry credentials (`https://user:token@host`, `Authorization: Bearer …`,
 * `--password x`, `TOKEN=…`). Everything the gate writes to the audit log or says back goes through this first.
 */
const SECRET_NAMES = "password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth";
const SECRET_ASSIGNMENT = new RegExp(
  `((?:${SECRET_NAMES})[A-Za-z0-9_]*\\s*[=:]\\s*)("[^"]*"|'[^']*'|[^\\s'"&;|]+)`,
  "gi",
);

export const redactSecrets = (text: string): string =>
  text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]+@/gi, "$1***@")
    .replace(/\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi, "$1$2***")
    .replace(SECRET_ASSIGNMENT, "$1***")
    .replace(/(--(?:password|token|api-key|auth|secret|otp)(?:=|\s+))("[^"]*"|'[^']*'|\S+)/gi, "$1***");
