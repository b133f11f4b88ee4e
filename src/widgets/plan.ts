import type { ErrorCode } from "../errors.js";
import { mapCdnUrl, type CdnLibrary } from "./cdn-url.js";
import type { TagBinding, WidgetAnalysis, WidgetRef } from "./types.js";

export type WidgetOptions = { esmSh: boolean; fonts: boolean };

/** One reference the gate lets through once policy (and, for `bind`, the integrity of the file) agrees. */
export type PlannedRef = {
  ref: WidgetRef;
  /** null for a font host: not an npm package, nothing to check but the host. */
  library: CdnLibrary | null;
  url: string;
  /** Rewrite this tag; with `hash`, with the integrity of the package file. */
  binding?: TagBinding;
  hash: boolean;
  /** A module (or modulepreload) must import nothing else: its imports would load with no integrity check. */
  moduleFile: boolean;
  /** A stylesheet must @import nothing, for the same reason. */
  cssFile: boolean;
};

export type PlanRefusal = {
  code: ErrorCode;
  message: string;
  where: string;
  url?: string;
  /** The exact release refused, when the URL named one. */
  library?: CdnLibrary;
  /** The package a refused URL names, when it names no exact release (`d3@latest`). */
  package?: string;
};
export type WidgetPlan = { planned: PlannedRef[]; refusals: PlanRefusal[] };

const LOADED_BY_TAG = new Set(["script", "module", "stylesheet", "modulepreload"]);
const SCRIPT_KINDS = new Set(["script", "module", "import", "modulepreload"]);

const planOne = (ref: WidgetRef, options: WidgetOptions): PlannedRef | PlanRefusal => {
  const mapped = mapCdnUrl(ref.url);
  const shown = ref.url.length > 200 ? `${ref.url.slice(0, 200)}…` : ref.url;
  if (!mapped.ok)
    return {
      code: mapped.code,
      message: `${shown}: ${mapped.message}`,
      where: ref.where,
      url: ref.url,
      ...(mapped.package ? { package: mapped.package } : {}),
    };
  const target = mapped.target;
  const base = { ref, url: target.url, hash: false, moduleFile: false, cssFile: false };
  const binding = ref.binding ? { binding: ref.binding } : {};
  if (target.cdn === "fonts") {
    if (!options.fonts)
      return { code: "NOT_WHITELISTED", message: `${shown}: font hosts are off (widgets.fonts)`, where: ref.where };
    if (SCRIPT_KINDS.has(ref.kind))
      return {
        code: "NOT_WHITELISTED",
        message: `${shown}: font hosts serve fonts and CSS, not code`,
        where: ref.where,
      };
    return { ...base, ...binding, library: null };
  }
  const refusal = (code: ErrorCode, why: string): PlanRefusal => ({
    code,
    message: `${shown}: ${why}`,
    where: ref.where,
    url: ref.url,
    library: target,
  });
  if (!target.hashable) {
    if (!options.esmSh)
      return refusal(
        "NOT_WHITELISTED",
        "esm.sh builds its modules (and their dependencies) itself, so no integrity can bind them; it is off unless " +
          "the operator enables widgets.esmSh. Load the package's own file from cdn.jsdelivr.net/npm/ with " +
          "<script src>",
      );
    return { ...base, ...binding, library: target };
  }
  if (!LOADED_BY_TAG.has(ref.kind) && ref.kind !== "mention")
    return refusal(
      "INVALID_REQUIREMENT",
      ref.kind === "css-import"
        ? 'an @import cannot carry an integrity check; load the stylesheet with <link rel="stylesheet"> instead'
        : "an import cannot carry an integrity check; load the library with <script src> (a UMD or IIFE build) instead",
    );
  return {
    ...base,
    ...binding,
    library: target,
    hash: LOADED_BY_TAG.has(ref.kind),
    moduleFile: ref.kind === "module" || ref.kind === "modulepreload",
    cssFile: ref.kind === "stylesheet",
  };
};

/** Steps after parsing: each reference mapped to its CDN file and what the gate must check of it. */
export const planWidget = (analysis: WidgetAnalysis, options: WidgetOptions): WidgetPlan => {
  const plan: WidgetPlan = { planned: [], refusals: analysis.refusals.map((r) => ({ ...r })) };
  for (const ref of analysis.refs) {
    const one = planOne(ref, options);
    if ("ref" in one) plan.planned.push(one);
    else plan.refusals.push(one);
  }
  // The same URL is often seen twice (an import is also a string literal): say each problem once.
  const seen = new Set<string>();
  plan.refusals = plan.refusals.filter((r) => {
    const key = `${r.code}\u0000${r.message}\u0000${r.where}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return plan;
};
