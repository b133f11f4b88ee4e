import { PackageGuardError } from "../errors.js";
import { rulesFor } from "./ecosystems.js";
import { isEcosystem, pinKey, pinLabel, type ScanPin } from "./types.js";

const MAX_SHOWN = 200;

const refuse = (pin: ScanPin, why: string): PackageGuardError =>
  new PackageGuardError(
    "SCANNER_UNAVAILABLE",
    `Refusing to scan a malformed pin ${JSON.stringify(pinLabel(pin)).slice(0, 120)}: ${why}.`,
    {
      details: {
        pin: {
          ecosystem: String(pin.ecosystem).slice(0, 20),
          name: String(pin.name).slice(0, MAX_SHOWN),
          version: String(pin.version).slice(0, MAX_SHOWN),
        },
      },
    },
  );

/**
 * The pins, de-duplicated, after checking each one's shape by the rules of its ecosystem; throws SCANNER_UNAVAILABLE
 * on the first bad pin. SECURITY: pins end up in a requirements file, in file paths and in queries; only these shapes
 * are ever let through, so a hostile "version" like `1.0 --index-url …` or a name like `../x` cannot reach a scanner.
 */
export const checkedPins = (pins: readonly ScanPin[]): ScanPin[] => {
  const unique = new Map<string, ScanPin>();
  for (const pin of pins) {
    if (!isEcosystem(pin.ecosystem)) throw refuse(pin, "unknown ecosystem");
    const rules = rulesFor(pin.ecosystem);
    if (!rules) throw refuse(pin, `scanning ${pin.ecosystem} packages is not supported`);
    const ok =
      typeof pin.name === "string" &&
      typeof pin.version === "string" &&
      rules.validName(pin.name) &&
      rules.validVersion(pin.version);
    if (!ok) throw refuse(pin, `not a normalized ${pin.ecosystem} name and version`);
    unique.set(pinKey(pin), { ecosystem: pin.ecosystem, name: pin.name, version: pin.version });
  }
  return [...unique.values()];
};
