import { isAbsolute, normalize } from "node:path";

/**
 * A local project folder in a lock (the skill's own code, a workspace member): fine while it stays inside the
 * bundle, since its own dependencies are listed in the lock beside it. Anything reaching out of it is not.
 */
export const insideBundle = (path: unknown): boolean => {
  if (typeof path !== "string" || path.trim() === "" || isAbsolute(path) || /^[a-zA-Z]:|\\/.test(path)) return false;
  const clean = normalize(path);
  return clean !== ".." && !clean.startsWith("../");
};
