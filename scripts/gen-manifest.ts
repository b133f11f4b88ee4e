import { readFileSync, writeFileSync } from "node:fs";
import { buildManifest } from "./manifest.js";

const root = new URL("../", import.meta.url);
const { version } = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { version: string };
writeFileSync(new URL("openclaw.plugin.json", root), `${JSON.stringify(buildManifest(version), null, 2)}\n`);
console.log("wrote openclaw.plugin.json");
