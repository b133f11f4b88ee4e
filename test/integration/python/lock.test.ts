import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PACKAGES, startPackageIndex, type PackageIndex } from "../../helpers/package-index.js";
import { harness, install, versions, type Harness } from "./setup.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("per-skill serialization with real venvs", () => {
  let index: PackageIndex;
  let h: Harness;
  beforeAll(async () => {
    index = await startPackageIndex({ packages: DEMO_PACKAGES });
  });
  afterAll(async () => index.close());
  afterEach(async () => h?.cleanup());

  it("two installs into one skill run one after the other and both land", async () => {
    h = await harness(index.url);
    const log: string[] = [];
    const first = h.env.withSkill("a", async (venv) => {
      log.push("first:start");
      await sleep(300);
      log.push("first:end");
      return venv.skill;
    });
    await sleep(30);
    const second = install(h.env, "a", "datakit").then((pins) => {
      log.push("second:done");
      return pins;
    });
    await Promise.all([first, second]);
    expect(log).toEqual(["first:start", "first:end", "second:done"]);
    // Concurrent installs of different packages: the second sees the first's state, nothing is lost.
    await Promise.all([install(h.env, "a", "pyyaml", "==6.0.2"), install(h.env, "a", "idna")]);
    expect(versions((await h.env.withSkill("a", (v) => v.state())).pins)).toEqual({
      datakit: "1.0.0",
      tinycalc: "1.1.0",
      pyyaml: "6.0.2",
      idna: "3.10",
    });
  });

  it("with lockTimeoutMs 0 the second caller gets BUSY at once", async () => {
    h = await harness(index.url, { lockTimeoutMs: 0 });
    let release!: () => void;
    let entered!: () => void;
    const holding = new Promise<void>((r) => (entered = r));
    // Synchronized on the first caller being inside its lock, not on a delay.
    const first = h.env.withSkill("a", () => {
      entered();
      return new Promise<void>((r) => (release = r));
    });
    await holding;
    const error = await h.env.withSkill("a", async () => "never").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BUSY", message: "Skill 'a' is busy with another install; retry in a moment" });
    expect(await h.env.withSkill("b", async (venv) => venv.skill)).toBe("b");
    release();
    await first;
  });
});
