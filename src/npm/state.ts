import { readFile } from "node:fs/promises";
import { isRecord } from "../util/is-record.js";
import type { NpmWanted } from "./types.js";

/** Our record beside a component's package.json: what was asked for and when (package.json only keeps the ranges). */
export type ComponentState = { version: 1; requirements: NpmWanted; updatedAt: string };

const isWanted = (v: unknown): v is NpmWanted =>
  isRecord(v) &&
  Object.values(v).every((r) => isRecord(r) && typeof r.range === "string" && typeof r.requestedAt === "string");

/** The component's state, or null when it has none (never installed, or unreadable: then it is treated as empty). */
export const readComponentState = async (file: string): Promise<ComponentState | null> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch {
    return null;
  }
  if (
    !isRecord(parsed) ||
    parsed.version !== 1 ||
    !isWanted(parsed.requirements) ||
    typeof parsed.updatedAt !== "string"
  )
    return null;
  // A Map-free copy without a prototype: a package named "__proto__" stays a key.
  const requirements: NpmWanted = Object.create(null) as NpmWanted;
  for (const [name, r] of Object.entries(parsed.requirements)) requirements[name] = r;
  return { version: 1, requirements, updatedAt: parsed.updatedAt };
};

export const serializeComponentState = (requirements: NpmWanted, updatedAt: string): string =>
  `${JSON.stringify({ version: 1, requirements, updatedAt } satisfies ComponentState, null, 2)}\n`;
