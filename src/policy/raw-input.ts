import { invalidRequirement, quote } from "./invalid.js";

export const MAX_REQUIREMENT_LENGTH = 200;
const EXAMPLE = "e.g. 'pandas>=2,<3'";

// Everything a name, extras and a specifier set can need; notably no '@', ':', '/', ';', '+', '#', quotes or '$'.
const ALLOWED = /^[A-Za-z0-9._\-[\],<>=!~* ]*$/;
const VCS = /(?:^|[\s@])(?:git|hg|svn|bzr)\+/i;
const ARCHIVE = /\.(?:whl|zip|tar|tgz|tar\.gz|tar\.bz2|tar\.xz|egg)\s*$/i;

/**
 * Refuses hostile shapes of the raw text, before anything normalizes it, with the most specific reason.
 * SECURITY: runs on the raw string: NFKC or lowercasing first would turn 'ｐａｎｄａｓ' into 'pandas'.
 */
export const checkRawInput = (raw: unknown, what: "requirement" | "version"): string => {
  if (typeof raw !== "string") throw invalidRequirement("type", `The ${what} must be a string, ${EXAMPLE}`);
  if (raw.length > MAX_REQUIREMENT_LENGTH) {
    throw invalidRequirement(
      "too-long",
      `The ${what} is ${raw.length} characters long; at most ${MAX_REQUIREMENT_LENGTH} are allowed`,
    );
  }
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code > 0x7f) {
      throw invalidRequirement(
        "non-ascii",
        `Character U+${code.toString(16).toUpperCase().padStart(4, "0")} at position ${i} is not allowed: package ` +
          `names and versions are plain ASCII (look-alike letters are refused), ${EXAMPLE}`,
        { position: i },
      );
    }
    if (code < 0x20 || code === 0x7f) {
      throw invalidRequirement(
        "control-char",
        `Control character U+${code.toString(16).toUpperCase().padStart(4, "0")} at position ${i} is not allowed ` +
          `(tabs, newlines and NUL included); write the ${what} on one line, ${EXAMPLE}`,
        { position: i },
      );
    }
  }
  const text = raw.trim();
  if (text === "" && what === "requirement")
    throw invalidRequirement("empty", `The requirement is empty; name a package, ${EXAMPLE}`);
  // SECURITY: an option anywhere would be read by pip/uv (requirements-file syntax): -i, --index-url, -e, -r …
  if (/(?:^|\s)-/.test(text)) {
    throw invalidRequirement(
      "option",
      `Installer options such as '-i', '--index-url', '-e' or '-r' are not allowed in ${quote(text)}; the index is ` +
        `fixed by the operator. Request a package by name and version range, ${EXAMPLE}`,
    );
  }
  if (VCS.test(text)) {
    throw invalidRequirement(
      "vcs",
      `Version-control sources (git+, hg+, svn+, bzr+) are not allowed: request a package by name and version range, ` +
        `${EXAMPLE}`,
    );
  }
  if (text.includes("://") || text.includes("@")) {
    throw invalidRequirement(
      "url",
      `Direct URLs are not allowed: request a package by name and version range, ${EXAMPLE}`,
    );
  }
  if (/^(?:[./\\]|~(?!=))/.test(text) || /^file:/i.test(text) || /[/\\]/.test(text) || ARCHIVE.test(text)) {
    throw invalidRequirement(
      "path",
      `Local paths and archive files are not allowed: request a package by name and version range, ${EXAMPLE}`,
    );
  }
  if (text.includes(";")) {
    throw invalidRequirement(
      "marker",
      `Environment markers (';' …) are not allowed: the target interpreter is the skill's own; request ${EXAMPLE}`,
    );
  }
  if (text.includes("===")) {
    throw invalidRequirement(
      "arbitrary-equality",
      `Arbitrary equality '===' is not allowed: use '==' with a PEP 440 version, e.g. 'pandas==2.2.2'`,
    );
  }
  if (text.includes("+")) {
    throw invalidRequirement(
      "local-version",
      `Local versions ('+…') are not allowed: request a public release, e.g. 'pandas==2.2.2'`,
    );
  }
  if (/![^=]|!$/.test(text)) {
    throw invalidRequirement(
      "epoch",
      `Version epochs ('N!') are not allowed: request a plain version, e.g. 'pandas==2.2.2'`,
    );
  }
  if (!ALLOWED.test(text)) {
    const bad = [...text].find((c) => !ALLOWED.test(c)) ?? "";
    throw invalidRequirement(
      "syntax",
      `Character ${quote(bad)} is not allowed in ${quote(text)}; use a name, optional [extras] and a version range, ` +
        `${EXAMPLE}`,
    );
  }
  return text;
};
