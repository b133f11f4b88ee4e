import { zip } from "./zip.js";

/**
 * A zip archive of `files` at its root: the format skills.upload.* takes
 * (docs/gateway/protocol/operator-methods.md: "zip archives containing a SKILL.md root").
 */
export const zipFiles = (files: Record<string, string>): Buffer =>
  zip(Object.entries(files).map(([name, text]) => [name, Buffer.from(text, "utf8")]));
