import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildManifest } from "../../../scripts/manifest.js";
import { configJsonSchema, manifestConfigSchema } from "../../../src/config.js";
import { TOOL_NAMES } from "../../../src/surfaces/tools.js";

// The fields these tests read from openclaw.plugin.json and package.json.
type JsonDoc = {
  version: string;
  id: string;
  activation: unknown;
  skills: unknown;
  configSchema: Record<string, unknown>;
  contracts: { tools: string[] };
  openclaw: { extensions: string[] };
  engines: { node: string };
};
const read = (path: string) =>
  JSON.parse(readFileSync(new URL(`../../../${path}`, import.meta.url), "utf8")) as JsonDoc;

describe("openclaw.plugin.json", () => {
  const manifest = read("openclaw.plugin.json");
  const pkg = read("package.json");

  it("is exactly what scripts/gen-manifest.ts generates (`npm run manifest` after changing config or tools)", () => {
    expect(manifest).toEqual(buildManifest(pkg.version));
  });

  it("carries a schema the host cannot reject a block for (the plugin checks it), naming every key", () => {
    expect(manifest.configSchema).toEqual(manifestConfigSchema());
    const text = JSON.stringify(manifest.configSchema);
    // Nothing that can fail: a failing block would stop the gateway instead of closing the guard (issue 14.4).
    for (const keyword of ["enum", "pattern", "minimum", "maximum", "required", "additionalProperties", "anyOf"])
      expect(text, keyword).not.toContain(`"${keyword}"`);
    expect(Object.keys(manifest.configSchema.properties as object).toSorted()).toEqual(
      Object.keys(configJsonSchema().properties as object).toSorted(),
    );
    expect(manifest.contracts.tools).toEqual([...TOOL_NAMES]);
  });

  it("loads on startup, ships its skills, and matches the plugin entry id", () => {
    expect(manifest.id).toBe("package-guard");
    expect(manifest.activation).toEqual({ onStartup: true });
    expect(manifest.skills).toEqual(["skills"]);
    expect(pkg.openclaw.extensions).toEqual(["./dist/index.js"]);
    expect(pkg.engines.node).toBe(">=24.16");
  });
});
