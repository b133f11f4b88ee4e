import { init, parse } from "es-module-lexer";
import { analyzeCss } from "./css.js";

/**
 * What a bound file would load beyond itself, which its integrity attribute does not cover: a module's static and
 * dynamic imports, a stylesheet's @imports. Null when it loads nothing more.
 */
export const fileLoadsMore = async (
  data: Buffer,
  kind: { moduleFile: boolean; cssFile: boolean },
): Promise<string | null> => {
  const source = data.toString("utf8");
  if (kind.cssFile) {
    const { imports } = analyzeCss(source);
    return imports.length > 0 ? `it @imports ${imports.length} more stylesheet(s), which SRI cannot bind` : null;
  }
  if (!kind.moduleFile) return null;
  await init;
  let imports;
  try {
    [imports] = parse(source);
  } catch (error) {
    return `it cannot be read as a module (${error instanceof Error ? error.message : String(error)})`;
  }
  // import.meta loads nothing; static, re-export and dynamic imports all load another module.
  const loads = imports.filter((i) => i.type !== "import-meta");
  if (loads.length === 0) return null;
  const named = loads.map((i) => i.specifier ?? "(computed)").slice(0, 3);
  return (
    `it imports ${named.join(", ")}${loads.length > 3 ? ", …" : ""}, which its integrity does not cover; use a ` +
    `bundled build`
  );
};
