import { isRecord } from "../util/is-record.js";

export type ScriptKind = "classic" | "module" | "importmap" | "speculationrules" | "data";

// HTML: "a JavaScript MIME type essence match" is an exact, case-insensitive match of one of these, no parameters.
const JS_MIME = new Set([
  "application/ecmascript",
  "application/javascript",
  "application/x-ecmascript",
  "application/x-javascript",
  "text/ecmascript",
  "text/javascript",
  "text/javascript1.0",
  "text/javascript1.1",
  "text/javascript1.2",
  "text/javascript1.3",
  "text/javascript1.4",
  "text/javascript1.5",
  "text/jscript",
  "text/livescript",
  "text/x-ecmascript",
  "text/x-javascript",
]);

const trimAscii = (s: string): string => s.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "");

/** What a browser does with a <script> of this `type` / `language` (HTML: "prepare the script element"). */
export const scriptKind = (type: string | undefined, language: string | undefined): ScriptKind => {
  let block: string;
  if (type === undefined) block = language === undefined || language === "" ? "" : `text/${language}`;
  else block = type;
  const essence = trimAscii(block).toLowerCase();
  if (essence === "" || JS_MIME.has(essence)) return "classic";
  if (essence === "module") return "module";
  if (essence === "importmap") return "importmap";
  if (essence === "speculationrules") return "speculationrules";
  return "data";
};

/** Every address an import map names (targets; scope and integrity keys), or null when it is not a JSON object. */
export const importMapAddresses = (json: string): { targets: string[]; scopes: string[] } | null => {
  let map: unknown;
  try {
    map = JSON.parse(json);
  } catch {
    return null;
  }
  if (!isRecord(map)) return null;
  const targets: string[] = [];
  const scopes: string[] = [];
  const collect = (imports: unknown): void => {
    if (!isRecord(imports)) return;
    for (const value of Object.values(imports)) if (typeof value === "string") targets.push(value);
  };
  collect(map.imports);
  if (isRecord(map.scopes)) {
    for (const [scope, imports] of Object.entries(map.scopes)) {
      scopes.push(scope);
      collect(imports);
    }
  }
  if (isRecord(map.integrity)) scopes.push(...Object.keys(map.integrity));
  return { targets, scopes };
};
