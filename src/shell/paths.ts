import { posix } from "node:path";
import { words } from "./options.js";
import type { Field, PathContext } from "./types.js";

const expandKnown = (text: string, ctx: PathContext): string =>
  text
    .replace(/^~(?=\/|$)/, ctx.home)
    .replace(/\$\{?HOME\}?/g, ctx.home)
    .replace(/\$\{?OPENCLAW_STATE_DIR\}?/g, ctx.stateDir);

const inside = (path: string, root: string): boolean => {
  const p = path.toLowerCase();
  const r = root.toLowerCase();
  return p === r || p.startsWith(r.endsWith("/") ? r : `${r}/`);
};

/** Every absolute path a word may name: itself, or relative to each folder the command may run in. */
const candidates = (text: string, ctx: PathContext, cwds: readonly string[]): string[] => {
  const expanded = expandKnown(text, ctx);
  if (expanded.startsWith("/")) return [posix.normalize(expanded)];
  return cwds.map((cwd) => posix.normalize(posix.join(cwd, expanded)));
};

/**
 * Whether a path word reaches the guard's state or OpenClaw's config. A word the gate cannot read counts when its
 * text still names the guard's folder (`$X/package-guard/…`) or an unknown variable stands before `..`.
 */
export const touchesProtected = (field: Field, ctx: PathContext, cwds: readonly string[] = ctx.cwds): boolean => {
  const text = field.known ? field.text : field.source;
  if (!text) return false;
  const roots = [...ctx.protectedPaths, ctx.configFile];
  const names = new Set(roots.map((r) => posix.basename(r).toLowerCase()));
  if (!field.known || /\$/.test(text)) {
    const segments = expandKnown(text, ctx).toLowerCase().split("/");
    if (segments.some((s) => names.has(s))) return true;
    if (/\$/.test(expandKnown(text, ctx))) return false;
  }
  return candidates(text, ctx, cwds).some((p) => roots.some((r) => inside(p, r)));
};

/** Programs that only read the files they are given: they may name the guard's files. */
export const READ_ONLY_PROGRAMS: ReadonlySet<string> = words(
  "cat tac less more head tail ls ll dir stat file wc grep egrep fgrep rg ag jq yq diff cmp sha256sum " +
    "sha1sum sha512sum md5sum b2sum cksum du df tree realpath readlink basename dirname test [ [[ echo " +
    "printf cd pushd popd source . openclaw package-guard nl od hexdump xxd strings column sort uniq cut " +
    "zcat zless bat batcat pwd true false type which whereis",
);

/** find writes or runs things with these. */
export const FIND_WRITES = words("-delete -exec -execdir -ok -okdir -fprint -fprint0 -fprintf -fls");
