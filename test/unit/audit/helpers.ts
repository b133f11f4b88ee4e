import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { type AuditInput, AuditLog, type AuditLogOptions } from "../../../src/audit/log.js";

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh directory per test, removed afterwards. */
export const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), "pg-audit-"));
  dirs.push(dir);
  return dir;
};

export const openLog = async (options: AuditLogOptions = {}): Promise<AuditLog> =>
  AuditLog.open(join(await tempDir(), "state", "audit.jsonl"), options);

export const entry = (overrides: Partial<AuditInput> = {}): AuditInput => ({
  source: "tool",
  status: "completed",
  package: "requests",
  ...overrides,
});

export const appendMany = async (
  log: AuditLog,
  n: number,
  make: (i: number) => Partial<AuditInput> = () => ({}),
): Promise<void> => {
  for (let i = 0; i < n; i += 1) await log.append(entry(make(i)));
};

/** The file's complete lines (the trailing "" after the final newline dropped). */
export const readLines = async (path: string): Promise<string[]> => {
  const lines = (await readFile(path, "utf8")).split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
};

export const writeLines = (path: string, lines: string[]): Promise<void> =>
  writeFile(path, lines.map((l) => `${l}\n`).join(""));

/** A clock that advances one second per call, from a fixed start. */
export const steppingClock = (start = Date.parse("2026-01-01T00:00:00.000Z")): (() => Date) => {
  let t = start - 1000;
  return () => new Date((t += 1000));
};
