import { expect } from "vitest";
import { isPackageGuardError, type ErrorCode } from "../../../src/errors.js";

/** Runs `fn`, expecting a PackageGuardError; returns it so a test can assert code, reason and message. */
export const thrown = (fn: () => unknown): { code: ErrorCode; message: string; details: Record<string, unknown> } => {
  try {
    fn();
  } catch (error) {
    expect(isPackageGuardError(error), `not a PackageGuardError: ${String(error)}`).toBe(true);
    const e = error as { code: ErrorCode; message: string; details?: Record<string, unknown> };
    return { code: e.code, message: e.message, details: e.details ?? {} };
  }
  throw new Error("expected a PackageGuardError, but nothing was thrown");
};
