import { PackageGuardError } from "../errors.js";
import { pinKey, type ScanPin } from "./types.js";

// SECURITY: pins end up in a requirements file and in file paths; only these shapes are ever let through,
// so a hostile "version" like `1.0 --index-url …` or a name like `../x` cannot reach a scanner.
const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const VERSION = /^[0-9][0-9A-Za-z.!+_-]*$/;
const MAX_LENGTH = 200;

/** The pins, de-duplicated, after checking each one's shape; throws SCANNER_UNAVAILABLE on the first bad pin. */
export const checkedPins = (pins: readonly ScanPin[]): ScanPin[] => {
  const unique = new Map<string, ScanPin>();
  for (const pin of pins) {
    const ok =
      typeof pin.name === "string" &&
      typeof pin.version === "string" &&
      pin.name.length <= MAX_LENGTH &&
      pin.version.length <= MAX_LENGTH &&
      NAME.test(pin.name) &&
      VERSION.test(pin.version);
    if (!ok) {
      throw new PackageGuardError(
        "SCANNER_UNAVAILABLE",
        `Refusing to scan a malformed pin ${JSON.stringify(pinKey(pin)).slice(0, 120)}: names must be PEP ` +
          `503-normalized and versions PEP 440.`,
        {
          details: {
            pin: { name: String(pin.name).slice(0, MAX_LENGTH), version: String(pin.version).slice(0, MAX_LENGTH) },
          },
        },
      );
    }
    unique.set(pinKey(pin), { name: pin.name, version: pin.version });
  }
  return [...unique.values()];
};
