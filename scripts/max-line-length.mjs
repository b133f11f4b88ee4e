#!/usr/bin/env node
// House style: no source line over 120 characters (oxfmt wraps code, not long strings or comments).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const MAX = 120;
const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts", "*.mjs", "*.sh"], {
  encoding: "utf8",
})
  .split("\n")
  .filter(Boolean);
let bad = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    continue;
  }
  text.split("\n").forEach((line, i) => {
    const length = [...line].length;
    if (length > MAX) {
      bad += 1;
      console.error(`${file}:${i + 1}: ${length} characters (max ${MAX})`);
    }
  });
}
if (bad > 0) process.exit(1);
