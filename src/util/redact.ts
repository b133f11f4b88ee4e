/**
 * SECURITY: credentials never leave the process in anything we show or store. An index URL such as
 * `https://user:token@host/simple` or `https://host/simple?token=…` reaches error messages (uv and pip quote it),
 * audit records, RPC details, doctor and logs; every one of those boundaries passes its text through here.
 */

const MASK = "***";

// userinfo of any URL: scheme://user:secret@host -> scheme://***@host
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"<>]+@/gi;
// a query or fragment parameter whose name says it is a secret
const SECRET_NAME = "(?:token|key|secret|passw(?:or)?d|pass|pwd|auth|sig|signature|credential|session|bearer)";
const SECRET_PARAM = new RegExp(`([?&;#][^=&;#\\s'"<>]*?${SECRET_NAME}[^=&;#\\s'"<>]*=)[^&;#\\s'"<>]+`, "gi");
// any other parameter whose value looks like a token: long, and letters mixed with digits
const PARAM_VALUE = /([?&;][^=&;#\s'"<>]+=)([A-Za-z0-9._~+/%-]{20,})/g;
// well-known token shapes, wherever they appear
const KNOWN_TOKENS = new RegExp(
  [
    "gh[pousr]_[A-Za-z0-9]{20,}",
    "github_pat_[A-Za-z0-9_]{20,}",
    "glpat-[A-Za-z0-9_-]{20,}",
    "xox[abprs]-[A-Za-z0-9-]{10,}",
    "AKIA[0-9A-Z]{16}",
    "npm_[A-Za-z0-9]{30,}",
    "pypi-[A-Za-z0-9_-]{30,}",
  ]
    .map((p) => `\\b${p}\\b`)
    .join("|"),
  "g",
);
const AUTH_HEADER = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g;

// In free text such as a shell command: NAME=value or name: value where the name says secret, and --password x.
const SECRET_ASSIGNMENT = new RegExp(
  "((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth)[A-Za-z0-9_]*\\s*[=:]\\s*)" +
    // an HTTP auth scheme keeps its name (AUTH_HEADER already masked the credential after it)
    "(?!(?:Bearer|Basic|Token)\\s)" +
    "(\"[^\"]*\"|'[^']*'|[^\\s'\"&;|]+)",
  "gi",
);
const SECRET_FLAG = /(--(?:password|token|api-key|auth|secret|otp)(?:=|\s+))("[^"]*"|'[^']*'|\S+)/gi;

const looksLikeToken = (value: string): boolean => /[A-Za-z]/.test(value) && /[0-9]/.test(value);

/** The text with URL credentials, secret-named or token-like query values and known token shapes masked. */
export const redactSecrets = (text: string): string => {
  if (text.length === 0) return text;
  return text
    .replace(USERINFO, `$1${MASK}@`)
    .replace(SECRET_PARAM, `$1${MASK}`)
    .replace(PARAM_VALUE, (all, prefix: string, value: string) => (looksLikeToken(value) ? `${prefix}${MASK}` : all))
    .replace(KNOWN_TOKENS, MASK)
    .replace(AUTH_HEADER, `$1 ${MASK}`)
    .replace(SECRET_ASSIGNMENT, `$1${MASK}`)
    .replace(SECRET_FLAG, `$1${MASK}`);
};

const MAX_DEPTH = 64;

/** A copy of a JSON-like value with every string (keys included) redacted; deeper than 64 levels is cut. */
export const redactDeep = <T>(value: T, depth = 0): T => {
  if (typeof value === "string") return redactSecrets(value) as T;
  if (typeof value !== "object" || value === null) return value;
  if (depth >= MAX_DEPTH) return "[nested too deep]" as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, depth + 1)) as T;
  if (!isPlain(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[redactSecrets(k)] = redactDeep(v, depth + 1);
  return out as T;
};

const isPlain = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

// Query parameter names that commonly carry a secret (signed URLs, API tokens), for redactUrl.
const SECRET_KEY = /token|key|sig|secret|pass|auth|credential/i;

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
  for (const key of new Set(u.searchParams.keys())) if (SECRET_KEY.test(key)) u.searchParams.set(key, "***");
  return u.toString();
};
