import { describe, expect, it } from "vitest";
import { PackageGuardError } from "../../../src/errors.js";
import { RescanScheduler, type Timers } from "../../../src/service/rescan-scheduler.js";

const HOUR = 3_600_000;

/** A scheduler over state the test controls; `rescan` records its triggers and stores what it scanned. */
const setup = (o: { everyHours?: number; version?: string; failing?: boolean } = {}) => {
  const state = {
    clock: Date.parse("2030-01-01T00:00:00Z"),
    version: o.version ?? "data-1",
    last: { at: null as number | null, version: null as string | null },
    triggers: [] as string[],
    failing: o.failing ?? false,
    warnings: [] as string[],
  };
  const scheduler = new RescanScheduler({
    rescan: async (trigger) => {
      state.triggers.push(trigger);
      if (state.failing) throw new PackageGuardError("SCANNER_UNAVAILABLE", "data unusable");
      state.last = { at: state.clock, version: state.version };
    },
    currentVersion: async () => state.version,
    last: async () => state.last,
    everyMs: (o.everyHours ?? 24) * HOUR,
    now: () => state.clock,
    log: { info: () => undefined, warn: (m) => void state.warnings.push(m) },
  });
  return { state, scheduler };
};

describe("the background re-scan", () => {
  it("re-scans at start when nothing was scanned, then only when the data changes or the interval is due", async () => {
    const { state, scheduler } = setup({ everyHours: 24 });
    expect(await scheduler.tick()).toBe("data-changed");
    state.clock += HOUR;
    expect(await scheduler.tick()).toBe("idle");
    state.version = "data-2";
    expect(await scheduler.tick()).toBe("data-changed");
    state.clock += 23 * HOUR;
    expect(await scheduler.tick()).toBe("idle");
    state.clock += HOUR;
    expect(await scheduler.tick()).toBe("scheduled");
    expect(state.triggers).toEqual(["advisory data changed", "advisory data changed", "scheduled"]);
  });

  it("with rescanHours 0, re-scans only when the data changes", async () => {
    const { state, scheduler } = setup({ everyHours: 0 });
    await scheduler.tick();
    state.clock += 1_000 * HOUR;
    expect(await scheduler.tick()).toBe("idle");
  });

  it("logs a failed re-scan and does not retry it on every tick", async () => {
    const { state, scheduler } = setup({ failing: true });
    expect(await scheduler.tick()).toBe("failed");
    expect(state.warnings).toEqual(["package-guard: re-scan failed: data unusable"]);
    state.clock += 60_000;
    expect(await scheduler.tick()).toBe("idle");
    state.clock += 15 * 60_000;
    expect(await scheduler.tick()).toBe("failed");
    state.failing = false;
    state.version = "data-2";
    expect(await scheduler.tick()).toBe("data-changed");
  });

  it("never runs two checks at once, and stops its timer", async () => {
    const { state, scheduler } = setup();
    const first = scheduler.tick();
    expect(scheduler.tick()).toBe(first);
    await first;
    let registered: (() => void) | undefined;
    let cleared = false;
    const timers: Timers = {
      setInterval: (fn) => {
        registered = fn;
        return 1;
      },
      clearInterval: () => {
        cleared = true;
      },
    };
    scheduler.start(60_000, timers);
    // start() checks at once; then every interval tick checks again.
    expect(await scheduler.tick()).toBe("idle");
    state.version = "data-2";
    registered?.();
    await scheduler.stop();
    expect(cleared).toBe(true);
    expect(state.triggers).toEqual(["advisory data changed", "advisory data changed"]);
  });
});
