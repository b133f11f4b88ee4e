import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { harness, versions, type Harness } from "./setup.js";

/** A promise with its resolver: the events these tests synchronize on, instead of sleeping. */
const signal = () => {
  let fire!: () => void;
  const fired = new Promise<void>((r) => (fire = r));
  return { fire, fired };
};

describe("per-skill serialization with real venvs", () => {
  let index: PackageIndex;
  let h: Harness;
  beforeAll(async () => {
    index = await startPackageIndex({ packages: DEMO_PACKAGES });
  });
  afterAll(async () => index.close());
  afterEach(async () => h?.cleanup());

  it("a second change to a skill waits for the first to finish, then sees its state", async () => {
    h = await harness(index.url);
    const log: string[] = [];
    const entered = signal();
    const release = signal();
    const waiting = signal();
    const first = h.env.withSkill("a", async (venv) => {
      log.push("first:start");
      entered.fire();
      await release.fired;
      log.push("first:end");
      return venv.skill;
    });
    await entered.fired;
    const second = h.env.withSkill(
      "a",
      async (venv) => {
        log.push("second:start");
        const previous = await venv.state();
        const wanted = { ...previous.requirements, datakit: { specifier: "", extras: [], requestedAt: "t" } };
        return venv.apply(await venv.resolve(wanted), wanted, { operation: "install", package: "datakit" });
      },
      { onWait: () => waiting.fire() },
    );
    // The second call found the lock taken and is polling for it: only now is the first let go.
    await waiting.fired;
    log.push("second:waiting");
    release.fire();
    await Promise.all([first, second]);
    expect(log).toEqual(["first:start", "second:waiting", "first:end", "second:start"]);
    // Concurrent installs of different packages: the second sees the first's state, nothing is lost.
    const install = (name: string, specifier = "") =>
      h.env.withSkill("a", async (venv) => {
        const previous = await venv.state();
        const wanted = { ...previous.requirements, [name]: { specifier, extras: [], requestedAt: "t" } };
        return venv.apply(await venv.resolve(wanted), wanted, { operation: "install", package: name });
      });
    await Promise.all([install("pyyaml", "==6.0.2"), install("idna")]);
    expect(versions((await h.env.withSkill("a", (v) => v.state())).pins)).toEqual({
      datakit: "1.0.0",
      tinycalc: "1.1.0",
      pyyaml: "6.0.2",
      idna: "3.10",
    });
  });

  it("with lockTimeoutMs 0 the second caller gets BUSY at once", async () => {
    h = await harness(index.url, { lockTimeoutMs: 0 });
    const entered = signal();
    const release = signal();
    const first = h.env.withSkill("a", async () => {
      entered.fire();
      await release.fired;
    });
    await entered.fired;
    const error = await h.env.withSkill("a", async () => "never").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BUSY", message: "Skill 'a' is busy with another install; retry in a moment" });
    expect(await h.env.withSkill("b", async (venv) => venv.skill)).toBe("b");
    release.fire();
    await first;
  });
});
