import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, type FileHandle, lstat, mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { PackageGuardError } from "../errors.js";

/** Whether `path` exists (and, with `mode`, is readable/writable/executable by us). */
export const pathExists = (path: string, mode: number = constants.F_OK): Promise<boolean> =>
  access(path, mode).then(
    () => true,
    () => false,
  );

/**
 * SECURITY: state files (audit log, approvals, overrides, whitelist overlay, scan cache, venv state) are never
 * read or written through a symbolic link: a link would let whoever planted it feed us grants, "clean" scan
 * results or a forged state, or make us append to a file of their choosing.
 */
export const notARegularFile = (path: string, what: string, kind = "a symbolic link"): PackageGuardError =>
  new PackageGuardError(
    "CONFIG_INVALID",
    `${what} ${path} is ${kind}; package-guard does not follow links for its state files. Replace it with the ` +
      `real file (or remove it) and retry`,
    { details: { reason: "state-file-not-regular", path } },
  );

/** Opens an existing state file without following a link; null when it does not exist. */
export const openStateFile = async (
  path: string,
  what: string,
  flags: number = constants.O_RDONLY,
): Promise<FileHandle | null> => {
  let handle;
  try {
    handle = await open(path, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "ELOOP") throw notARegularFile(path, what);
    throw error;
  }
  const s = await handle.stat();
  if (!s.isFile()) {
    await handle.close();
    throw notARegularFile(path, what, "not a regular file");
  }
  return handle;
};

/** A state file's text, or null when it does not exist; refuses links and anything but a regular file. */
export const readStateFile = async (path: string, what: string): Promise<string | null> => {
  const handle = await openStateFile(path, what);
  if (handle === null) return null;
  try {
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
};

/** Replaces a state file so that a reader sees the old content or the new, never half of it. */
export const writeFileAtomic = async (
  path: string,
  data: string,
  options: { sync?: boolean; what?: string } = {},
): Promise<void> => {
  await mkdir(dirname(path), { recursive: true });
  const existing = await lstat(path).catch(() => null);
  if (existing?.isSymbolicLink()) throw notARegularFile(path, options.what ?? "The state file");
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  // "wx": a name planted in advance (a link included) fails instead of being written through.
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(data, "utf8");
    if (options.sync !== false) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
};
