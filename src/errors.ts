import { redactDeep, redactSecrets } from "./util/redact.js";

/** Stable error codes: one table for every surface (DESIGN.md, "Error codes"). */
export const ERROR_CODES = [
  "INVALID_REQUIREMENT",
  "CONSTRAINT_VIOLATION",
  "NOT_WHITELISTED",
  "VULNERABLE",
  "MALICIOUS",
  "YANKED",
  "TOO_NEW",
  "APPROVAL_REQUIRED",
  "SCANNER_UNAVAILABLE",
  "INSTALL_FAILED",
  "BUSY",
  "QUARANTINED",
  "NOT_FOUND",
  "CONFIG_INVALID",
  // The audit log cannot take a record (disk full, read-only, locked by a live writer, not a regular file).
  "AUDIT_UNAVAILABLE",
  // The shell gate refused a tool call (an install through exec, code it cannot read, the guard's own controls).
  "SHELL_BLOCKED",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** How each code surfaces on the gateway (ErrorShape.code) and as the seed's HTTP status. */
export const ERROR_SURFACE: Record<ErrorCode, { gateway: string; http: number; retryable: boolean }> = {
  INVALID_REQUIREMENT: { gateway: "INVALID_REQUEST", http: 400, retryable: false },
  CONSTRAINT_VIOLATION: { gateway: "INVALID_REQUEST", http: 400, retryable: false },
  NOT_WHITELISTED: { gateway: "FORBIDDEN", http: 403, retryable: false },
  VULNERABLE: { gateway: "FORBIDDEN", http: 403, retryable: false },
  // An OSV MAL- record: never ignorable, never overridable.
  MALICIOUS: { gateway: "FORBIDDEN", http: 403, retryable: false },
  // PEP 592: the index withdrew the release; refused even when pinned with '=='.
  YANKED: { gateway: "FORBIDDEN", http: 403, retryable: false },
  // Uploaded inside the release cooldown (index.excludeNewer); it becomes installable once the cooldown has passed.
  TOO_NEW: { gateway: "FORBIDDEN", http: 403, retryable: false },
  APPROVAL_REQUIRED: { gateway: "FORBIDDEN", http: 403, retryable: false },
  SCANNER_UNAVAILABLE: { gateway: "UNAVAILABLE", http: 503, retryable: true },
  INSTALL_FAILED: { gateway: "UNAVAILABLE", http: 500, retryable: false },
  BUSY: { gateway: "UNAVAILABLE", http: 409, retryable: true },
  // An operator took the skill's venv out of use (packages.quarantine) until they restore or rebuild it.
  QUARANTINED: { gateway: "FORBIDDEN", http: 423, retryable: false },
  NOT_FOUND: { gateway: "INVALID_REQUEST", http: 404, retryable: false },
  CONFIG_INVALID: { gateway: "INVALID_REQUEST", http: 400, retryable: false },
  AUDIT_UNAVAILABLE: { gateway: "UNAVAILABLE", http: 503, retryable: true },
  SHELL_BLOCKED: { gateway: "FORBIDDEN", http: 403, retryable: false },
};

export type ErrorDetails = Record<string, unknown>;

/**
 * The only error the pipeline throws on purpose. Surfaces map `code` to their host's error shape;
 * `message` is written for a person (what failed and what to do about it).
 */
export class PackageGuardError extends Error {
  override readonly name = "PackageGuardError";
  readonly code: ErrorCode;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    // SECURITY: every message and detail an agent, RPC client, log or audit record can see is built here, so
    // credentials quoted by a tool or a config value (an index URL with user:token@) are masked once, for all.
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details === undefined ? undefined : redactDeep(options.details);
  }

  toJSON(): { code: ErrorCode; message: string; details?: ErrorDetails } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

const BRAND = Symbol.for("openclaw-package-guard.error");
Object.defineProperty(PackageGuardError.prototype, BRAND, { value: true });

// Unlike `instanceof`, this survives two copies of the module (dist and src loaded side by side in tests).
export const isPackageGuardError = (value: unknown): value is PackageGuardError =>
  typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;

/** Anything thrown that is not ours becomes INSTALL_FAILED, so no surface ever leaks a stack trace. */
export const toPackageGuardError = (error: unknown, fallback: ErrorCode = "INSTALL_FAILED"): PackageGuardError => {
  if (isPackageGuardError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PackageGuardError(fallback, message, { cause: error });
};
