import { join } from "node:path";
import type { PackageGuardConfig } from "../config.js";

/**
 * Where components live: `<root>/<id>` is the installed component (package.json, package-lock.json, node_modules and
 * our package-guard.json), replaced whole on every change. Beside it, hidden folders no component id can name:
 * `.work/<id>-*` (one operation's project and npm cache), `.trash/<id>-*` (a replaced component on its way out) and
 * `.locks/<id>` (the lock target).
 */
export type ComponentPaths = { dir: string; state: string; lockTarget: string };

export const componentsRoot = (config: PackageGuardConfig): string => config.npm.componentsRoot;
export const workRoot = (config: PackageGuardConfig): string => join(componentsRoot(config), ".work");
export const trashRoot = (config: PackageGuardConfig): string => join(componentsRoot(config), ".trash");

export const STATE_FILE = "package-guard.json";

export const componentPaths = (config: PackageGuardConfig, id: string): ComponentPaths => {
  const dir = join(componentsRoot(config), id);
  return { dir, state: join(dir, STATE_FILE), lockTarget: join(componentsRoot(config), ".locks", id) };
};
