import type { Maturity } from "../config.js";
import type { Whitelist } from "../policy/whitelist.js";
import type { Pin, Wanted } from "../python/environment.js";

/** What the change did with a requirement the whitelist no longer allows (policy.delisted). */
export type DelistedAction = { package: string; version: string | null; action: "kept" | "removed" };

/**
 * A skill's earlier requirement the whitelist no longer allows (no entry at any tier, or an extra its entry dropped)
 * must not be re-resolved, or an unrelated install would upgrade it (otherpkg 1.0.0 -> 1.5.0). Whatever the mode, its
 * installed version is held exactly; "remove" also drops the requirement, so it goes unless something else needs it.
 */
export const handleDelisted = (
  wanted: Wanted,
  requested: string,
  previousPins: readonly Pin[],
  whitelist: Whitelist,
  maturity: Maturity,
  mode: "keep" | "remove",
): { wanted: Wanted; hold: Pin[]; actions: DelistedAction[] } => {
  const next: Wanted = { ...wanted };
  const hold: Pin[] = [];
  const actions: DelistedAction[] = [];
  for (const [name, requirement] of Object.entries(wanted)) {
    if (name === requested) continue;
    const entry = whitelist.governing(name, maturity);
    if (entry !== undefined && requirement.extras.every((x) => entry.extras.includes(x))) continue;
    const pin = previousPins.find((p) => p.name === name);
    if (pin) hold.push(pin);
    if (mode === "remove") delete next[name];
    actions.push({ package: name, version: pin?.version ?? null, action: mode === "keep" ? "kept" : "removed" });
  }
  return { wanted: next, hold, actions };
};
