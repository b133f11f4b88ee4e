import { join } from "node:path";
import { childEnv } from "../util/env.js";
import type { RunResult, Runner } from "../util/exec.js";

export type NpmCommand = "lock" | "ci";

/**
 * One operation's private files: `home` (npm's HOME), `cache` (its cache, never shared between operations or
 * components), empty user and global npmrc files, and `project` (package.json, the lockfile, node_modules).
 */
export type WorkDir = { root: string; home: string; cache: string; userrc: string; globalrc: string; project: string };

export const workDir = (root: string): WorkDir => ({
  root,
  home: join(root, "home"),
  cache: join(root, "cache"),
  userrc: join(root, "user.npmrc"),
  globalrc: join(root, "global.npmrc"),
  project: join(root, "project"),
});

// SECURITY: a proxy nobody serves (binding port 1 needs root). Every fetch except the registry's own goes to it and
// fails, so a tarball URL named anywhere in a tree is never downloaded, not even to be refused afterwards.
export const DEAD_PROXY = "http://127.0.0.1:1";

/** Where npm would find git: a path in our own 0700 work folder that is never created, so npm never runs git. */
export const noGit = (work: WorkDir): string => join(work.root, "no-git", "git");

/**
 * The argv after the npm executable. SECURITY: npm reads configuration from the environment (`npm_config_*`, scrubbed
 * by childEnv), from user, global and project npmrc files (empty ones of our own; the project folder is ours) and from
 * flags: every setting that decides where code comes from or whether it runs is a flag here.
 */
export const npmArgs = (command: NpmCommand, registry: string, work: WorkDir): string[] => [
  ...(command === "lock" ? ["install", "--package-lock-only"] : ["ci"]),
  "--ignore-scripts",
  "--registry",
  registry,
  "--userconfig",
  work.userrc,
  "--globalconfig",
  work.globalrc,
  "--cache",
  work.cache,
  "--git",
  noGit(work),
  "--proxy",
  DEAD_PROXY,
  "--https-proxy",
  DEAD_PROXY,
  "--noproxy",
  new URL(registry).hostname,
  "--no-bin-links",
  "--no-audit",
  "--no-fund",
  "--no-update-notifier",
  "--no-workspaces",
  "--lockfile-version",
  "3",
  // One retry, soon: a flaky registry gets a second chance without an integrity failure taking tens of seconds.
  "--fetch-retries",
  "1",
  "--fetch-retry-mintimeout",
  "500",
  "--fetch-retry-maxtimeout",
  "2000",
  "--color",
  "false",
  "--progress",
  "false",
];

export type NpmRunOptions = { npm: string; registry: string; timeoutMs: number; signal?: AbortSignal | undefined };

/** Runs npm in the work folder's project with the isolated configuration above. */
export const runNpm = (runner: Runner, command: NpmCommand, work: WorkDir, o: NpmRunOptions): Promise<RunResult> =>
  runner(o.npm, npmArgs(command, o.registry, work), {
    timeoutMs: o.timeoutMs,
    cwd: work.project,
    env: childEnv({ HOME: work.home }),
    ...(o.signal ? { signal: o.signal } : {}),
  });
