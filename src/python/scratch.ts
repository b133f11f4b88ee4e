import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * A private working folder for the files handed to uv/pip, inside the skill's own data folder (0700)
 * rather than a shared /tmp where another user could swap a file between write and read.
 */
export const withScratch = async <T>(
  parent: string,
  fn: (dir: string, write: (name: string, text: string) => Promise<string>) => Promise<T>,
): Promise<T> => {
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(parent, "tmp-"));
  const write = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text, { mode: 0o600 });
    return path;
  };
  try {
    return await fn(dir, write);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
