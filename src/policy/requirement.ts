import { invalidRequirement, quote } from "./invalid.js";
import { MAX_NAME_LENGTH, isValidProjectName, normalizeName } from "./names.js";
import { checkRawInput } from "./raw-input.js";
import { canonicalSpecifier } from "./specifier.js";

export type ParsedRequirement = {
  /** PEP 503 normalized. */
  name: string;
  /** Normalized, sorted, unique. */
  extras: string[];
  /** Canonical: clauses joined by ",", no spaces; "" = any version. */
  specifier: string;
};

const NAME_TOKEN = /^[A-Za-z0-9._-]+/;

const parseExtras = (text: string): { extras: string[]; rest: string } => {
  const close = text.indexOf("]");
  if (close < 0 || text.lastIndexOf("[") !== 0 || text.indexOf("]", close + 1) >= 0) {
    throw invalidRequirement(
      "extras-syntax",
      `Extras must be one bracketed list after the name, e.g. 'pandas[performance]'`,
    );
  }
  const items = text
    .slice(1, close)
    .split(",")
    .map((s) => s.trim());
  for (const item of items) {
    if (!isValidProjectName(item)) {
      throw invalidRequirement(
        "extras-syntax",
        `Extra ${quote(item)} is not a valid extra name; write e.g. 'pandas[performance,excel]'`,
      );
    }
  }
  return { extras: [...new Set(items.map(normalizeName))].toSorted(), rest: text.slice(close + 1) };
};

/**
 * A requirement in the strict grammar `name[extra,…] specifier-set`, rebuilt from its parts.
 * SECURITY: only formatRequirement(parseRequirement(x)) may reach uv or pip, never the raw text.
 */
export const parseRequirement = (raw: string): ParsedRequirement => {
  const text = checkRawInput(raw, "requirement");
  const token = NAME_TOKEN.exec(text)?.[0] ?? "";
  if (token === "") {
    throw invalidRequirement("name", `The requirement must start with a package name, e.g. 'pandas>=2,<3'`);
  }
  if (!isValidProjectName(token)) {
    const why =
      token.length > MAX_NAME_LENGTH
        ? `is longer than ${MAX_NAME_LENGTH} characters`
        : "must start and end with a letter or digit";
    throw invalidRequirement("name", `Package name ${quote(token)} ${why}`);
  }
  let rest = text.slice(token.length).trimStart();
  let extras: string[] = [];
  if (rest.startsWith("[") || rest.includes("[") || rest.includes("]")) ({ extras, rest } = parseExtras(rest));
  rest = rest.trim();
  if (rest !== "" && !/^[<>=!~]/.test(rest)) {
    throw invalidRequirement(
      "syntax",
      `Cannot read ${quote(rest)} after the package name: write a version range such as '>=2,<3' or '==2.2.2'`,
    );
  }
  return { name: normalizeName(token), extras, specifier: canonicalSpecifier(rest) };
};

/**
 * A separately given version parameter: "" (any), a bare version ("2.1.0" → "==2.1.0") or a specifier set.
 * Returns the canonical specifier.
 */
export const parseSpecifier = (raw: string): string => {
  const text = checkRawInput(raw, "version");
  const bare = /^[0-9]/.test(text) || /^v[0-9]/i.test(text);
  return canonicalSpecifier(bare ? `==${text}` : text);
};

/** The text handed to the resolver: built from parsed parts only. */
export const formatRequirement = (p: ParsedRequirement): string =>
  `${p.name}${p.extras.length > 0 ? `[${p.extras.join(",")}]` : ""}${p.specifier}`;
