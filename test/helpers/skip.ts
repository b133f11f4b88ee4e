import { describe } from "vitest";

/**
 * `describe` when what the suite needs is there; otherwise the suite is skipped AND the run's output says so and
 * why (a silent skip looks like a pass). Use for tools or data that a machine may lack.
 */
export const describeIf = (present: boolean, missing: string): ReturnType<typeof describe.skipIf> => {
  if (!present) console.warn(`SKIPPED: ${missing}`);
  // oxlint-disable-next-line vitest/valid-describe-callback, vitest/valid-title -- returns the suite function
  return describe.skipIf(!present);
};
