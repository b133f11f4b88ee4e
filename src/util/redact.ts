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
