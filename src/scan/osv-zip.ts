import yauzl from "yauzl";
import { PackageGuardError } from "../errors.js";

/** Bounds on what an advisory zip may hold: OSV's PyPI all.zip is ~20k records of a few KiB each. */
export type ZipLimits = { maxEntries: number; maxEntryBytes: number; maxTotalBytes: number };

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 1_000_000,
  maxEntryBytes: 8 * 1024 * 1024,
  maxTotalBytes: 4 * 1024 * 1024 * 1024,
};

// OSV's per-ecosystem zips are flat: one `<ID>.json` per record.
const RECORD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/;

const invalid = (zipLabel: string, why: string, cause?: unknown): PackageGuardError =>
  new PackageGuardError("SCANNER_UNAVAILABLE", `${zipLabel} is not an OSV advisory zip: ${why}.`, {
    ...(cause === undefined ? {} : { cause }),
    details: { reason: "advisory-zip-invalid" },
  });

const readAll = async (stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`an entry inflates past ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
};

/**
 * Every record of an OSV ecosystem zip (`all.zip`), parsed, in the zip's order. SECURITY: the zip comes from the
 * network; names other than flat `<ID>.json`, sizes past the limits (zip bombs), an entry that is not JSON, or a
 * damaged archive reject the whole zip; nothing of it is used.
 */
export async function* readOsvZip(
  file: string,
  zipLabel: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): AsyncGenerator<{ name: string; record: unknown }> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true });
  } catch (error) {
    throw invalid(zipLabel, (error as Error).message, error);
  }
  try {
    if (zip.entryCount > limits.maxEntries) throw invalid(zipLabel, `${zip.entryCount} entries is too many`);
    let total = 0;
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith("/")) continue;
      if (!RECORD_NAME.test(entry.fileName))
        throw invalid(zipLabel, `unexpected entry ${JSON.stringify(entry.fileName)}`);
      if (entry.uncompressedSize > limits.maxEntryBytes)
        throw invalid(zipLabel, `${entry.fileName} is ${entry.uncompressedSize} bytes`);
      total += entry.uncompressedSize;
      if (total > limits.maxTotalBytes) throw invalid(zipLabel, `it inflates past ${limits.maxTotalBytes} bytes`);
      let record: unknown;
      try {
        const data = await readAll(await zip.openReadStreamPromise(entry), limits.maxEntryBytes);
        record = JSON.parse(data.toString("utf8"));
      } catch (error) {
        throw invalid(zipLabel, `${entry.fileName} cannot be read as JSON (${(error as Error).message})`, error);
      }
      yield { name: entry.fileName, record };
    }
  } catch (error) {
    if (error instanceof PackageGuardError) throw error;
    throw invalid(zipLabel, (error as Error).message, error);
  } finally {
    zip.close();
  }
}
