import { constants } from "node:fs";
import { open } from "node:fs/promises";

export type BoundedRead =
  | { ok: true; bytes: Buffer }
  | { ok: false; why: "missing" | "symlink" | "not-file" | "too-large" | "unreadable"; detail: string };

/**
 * A file's bytes, never more than `maxBytes` in memory. SECURITY: the last path component is never followed
 * (O_NOFOLLOW), only regular files are read (a FIFO or device would block or never end), and a file that grows
 * past the cap between the stat and the read is refused too.
 */
export const readBounded = async (path: string, maxBytes: number): Promise<BoundedRead> => {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { ok: false, why: "missing", detail: "no such file" };
    if (code === "ELOOP") return { ok: false, why: "symlink", detail: "a symbolic link" };
    return { ok: false, why: "unreadable", detail: code ?? (error as Error).message };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { ok: false, why: "not-file", detail: "not a regular file" };
    if (stat.size > maxBytes) return { ok: false, why: "too-large", detail: `${stat.size} bytes` };
    // Sized by the stat, not the cap: a bundle of thousands of small files must not zero a megabyte for each. It
    // grows (up to one byte past the cap) only if the file grew since.
    let buffer = Buffer.allocUnsafe(Math.min(maxBytes, stat.size) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) return { ok: false, why: "too-large", detail: `more than ${maxBytes} bytes` };
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buffer.length * 2));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) return { ok: false, why: "too-large", detail: `more than ${maxBytes} bytes` };
    return { ok: true, bytes: buffer.subarray(0, length) };
  } catch (error) {
    return { ok: false, why: "unreadable", detail: (error as Error).message };
  } finally {
    await handle.close().catch(() => undefined);
  }
};

/** The first `n` bytes of a regular file (fewer if it is shorter), with the same refusals; null when unreadable. */
export const readHead = async (path: string, n: number): Promise<Buffer | null> => {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    if (!(await handle.stat()).isFile()) return null;
    const buffer = Buffer.alloc(n);
    const { bytesRead } = await handle.read(buffer, 0, n, 0);
    return buffer.subarray(0, bytesRead);
  } catch {
    return null;
  } finally {
    await handle.close().catch(() => undefined);
  }
};
