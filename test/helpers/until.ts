/**
 * Polls a condition that an event outside the test process will make true (a file appearing, a process ending),
 * with a deadline. Not a sleep used as synchronization: it returns as soon as the condition holds.
 */
export const until = async (what: string, check: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
