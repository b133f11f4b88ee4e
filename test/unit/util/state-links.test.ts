import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApprovalStore } from "../../../src/policy/approvals.js";
import { OverrideStore } from "../../../src/policy/overrides.js";
import { readState } from "../../../src/python/skill-state.js";
import { ScanCache } from "../../../src/scan/cache.js";
import { writeFileAtomic } from "../../../src/util/fs.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-links-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A state file replaced by a link to content someone else controls. */
const planted = async (name: string, content: unknown): Promise<{ file: string; target: string; text: string }> => {
  const target = join(dir, `planted-${name}`);
  const text = `${JSON.stringify(content)}\n`;
  await writeFile(target, text);
  const file = join(dir, name);
  await symlink(target, file);
  return { file, target, text };
};

const refused = { code: "CONFIG_INVALID", details: { reason: "state-file-not-regular" } };

describe("a symlinked state file is refused, not followed", () => {
  it("approvals: a planted grant grants nothing", async () => {
    const grant = {
      agentId: "a",
      skill: "s",
      package: "torch",
      specifier: "",
      id: "apr_x",
      status: "approved",
      maturity: "student",
      reason: "",
      requestedAt: "2026-01-01T00:00:00Z",
      resolvedAt: null,
      resolvedBy: null,
      note: null,
      expiresAt: "2099-01-01T00:00:00Z",
    };
    const { file, target, text } = await planted("approvals.json", { version: 1, approvals: [grant] });
    const store = new ApprovalStore({ file, ttlHours: 1, maxPending: 5 });
    await expect(store.grantFor({ agentId: "a", skill: "s", package: "torch", specifier: "" })).rejects.toMatchObject(
      refused,
    );
    await expect(
      store.request({ agentId: "a", skill: "s", package: "x", specifier: "" }, { maturity: "student", reason: "r" }),
    ).rejects.toMatchObject(refused);
    expect(await readFile(target, "utf8")).toBe(text);
  });

  it("overrides", async () => {
    const { file } = await planted("overrides.json", { version: 1, overrides: [] });
    await expect(new OverrideStore(file).live()).rejects.toMatchObject(refused);
  });

  it("the scan cache: planted 'clean' results are never used", async () => {
    const { file } = await planted("scan-cache.json", { version: 1, entries: [] });
    await expect(ScanCache.open({ file, ttlHours: 24 })).rejects.toMatchObject(refused);
  });

  it("a skill's venv state", async () => {
    const { file } = await planted("state.json", { requirements: {}, pins: [] });
    await expect(readState(file)).rejects.toMatchObject(refused);
  });

  it("a write never replaces a link silently or writes through it", async () => {
    const { file, target, text } = await planted("any.json", {});
    await expect(writeFileAtomic(file, "new")).rejects.toMatchObject(refused);
    expect(await readFile(target, "utf8")).toBe(text);
  });
});
