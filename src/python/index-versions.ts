import { Parser } from "htmlparser2";
import { normalizeName } from "../policy/names.js";

const INDEX_TIMEOUT_MS = 5_000;
const MAX_PAGE_BYTES = 8 * 1024 * 1024;

// "pandas-2.2.3-cp312-…whl", "my-pkg-1.0.tar.gz": the version follows the project's own name, which may hold dashes.
const versionOf = (filename: string, project: string): string | null => {
  const stem = filename.replace(/\.(whl|tar\.gz|zip|tar\.bz2)$/i, "");
  for (let i = stem.indexOf("-"); i > 0; i = stem.indexOf("-", i + 1))
    if (normalizeName(stem.slice(0, i)) === project) return stem.slice(i + 1).split("-")[0] || null;
  return null;
};

/**
 * The versions a PEP 503 simple index offers for a project (from its file names; yanked files included), or null
 * when the project page is missing (404). Throws when the index does not answer.
 */
export const indexVersions = async (indexUrl: string, name: string, signal?: AbortSignal): Promise<string[] | null> => {
  const project = normalizeName(name);
  const url = `${indexUrl.replace(/\/+$/, "")}/${project}/`;
  const response = await fetch(url, {
    headers: { Accept: "text/html" },
    signal: signal
      ? AbortSignal.any([signal, AbortSignal.timeout(INDEX_TIMEOUT_MS)])
      : AbortSignal.timeout(INDEX_TIMEOUT_MS),
  });
  if (response.status === 404) {
    await response.body?.cancel();
    return null;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status} from ${url}`);
  }
  const text = await response.text();
  if (text.length > MAX_PAGE_BYTES) throw new Error(`the page for ${project} is larger than ${MAX_PAGE_BYTES} bytes`);
  const versions = new Set<string>();
  let inAnchor = false;
  let label = "";
  const parser = new Parser({
    onopentag(tag) {
      if (tag === "a") {
        inAnchor = true;
        label = "";
      }
    },
    ontext(data) {
      if (inAnchor) label += data;
    },
    onclosetag(tag) {
      if (tag !== "a") return;
      inAnchor = false;
      const version = versionOf(label.trim(), project);
      if (version) versions.add(version);
    },
  });
  parser.write(text);
  parser.end();
  return [...versions];
};
