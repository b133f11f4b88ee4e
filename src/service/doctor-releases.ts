import type { PackageGuardConfig } from "../config.js";
import { cutoffOf } from "../policy/cooldown.js";
import { redactUrl } from "../util/redact.js";
import type { DoctorCheck, DoctorContext } from "./doctor-types.js";

export type ReleaseChecksReport = {
  /** As configured: a duration or instant, or false when off. */
  cooldown: string | false;
  /** Releases uploaded after this are refused now (null: no default cooldown). */
  cutoff: string | null;
  exceptions: Record<string, string | false>;
  /** Always: a yanked release is never installed. */
  yanked: "refused";
  /** Whether the index speaks PEP 691 JSON, where upload times (PEP 700) live; null when it was not asked. */
  index: { json: boolean | null; apiVersion: string | null; problem?: string };
  ok: boolean;
  fixes: string[];
};

const JSON_TYPE = "application/vnd.pypi.simple.v1+json";

const probe = async (url: string): Promise<ReleaseChecksReport["index"]> => {
  const root = new URL(url.endsWith("/") ? url : `${url}/`);
  const headers: Record<string, string> = { Accept: `${JSON_TYPE}, text/html;q=0.1` };
  // fetch refuses a URL with user:password@; uv sends them as Basic credentials, and so does this probe.
  if (root.username || root.password) {
    const user = decodeURIComponent(root.username);
    const pass = decodeURIComponent(root.password);
    headers.Authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    root.username = "";
    root.password = "";
  }
  try {
    const response = await fetch(root, { headers, signal: AbortSignal.timeout(5_000) });
    const json = (response.headers.get("content-type") ?? "").includes(JSON_TYPE);
    const body = json
      ? ((await response.json().catch(() => null)) as { meta?: { "api-version"?: unknown } } | null)
      : null;
    if (!json) await response.body?.cancel();
    if (!response.ok) return { json: null, apiVersion: null, problem: `HTTP ${response.status}` };
    const apiVersion = typeof body?.meta?.["api-version"] === "string" ? body.meta["api-version"] : null;
    return { json, apiVersion };
  } catch (error) {
    return { json: null, apiVersion: null, problem: (error as Error).message };
  }
};

const NO_JSON_FIX =
  "Use an index that serves PEP 691 JSON with upload times (PyPI, devpi, a recent mirror), or set " +
  "index.excludeNewer to false";

/**
 * Release checks: the cooldown and its cutoff now, the exceptions, and whether the index gives the upload times the
 * cooldown needs (an index without PEP 691 JSON hides every release from uv under a cooldown).
 */
export const releaseChecks = async (
  config: PackageGuardConfig,
  now: Date = new Date(),
  options: { probeIndex?: boolean } = {},
): Promise<ReleaseChecksReport> => {
  const { cooldowns, excludeNewer, excludeNewerPackages } = config.index;
  const fixes: string[] = [];
  const anyCooldown = cooldowns.default !== null || Object.values(cooldowns.packages).some((c) => c !== null);
  const index =
    config.index.url.startsWith("file:") || !anyCooldown || options.probeIndex === false
      ? { json: null, apiVersion: null }
      : await probe(config.index.url);
  if (index.json === false) {
    fixes.push(
      `The index ${redactUrl(config.index.url)} serves no PEP 691 JSON, so no release has an upload time and the ` +
        `release cooldown refuses them all: use an index that does (PyPI, devpi, a recent mirror), or set ` +
        `index.excludeNewer to false`,
    );
  }
  return {
    cooldown: excludeNewer,
    cutoff: cooldowns.default ? cutoffOf(cooldowns.default, now).toISOString() : null,
    exceptions: { ...excludeNewerPackages },
    yanked: "refused",
    index,
    ok: index.json !== false,
    fixes,
  };
};

const exceptionsText = (exceptions: Record<string, string | false>): string => {
  const entries = Object.entries(exceptions);
  if (entries.length === 0) return "";
  return `; exceptions: ${entries.map(([name, c]) => `${name} ${c === false ? "no cooldown" : c}`).join(", ")}`;
};

/** The release checks as doctor lines (a DOCTOR_SECTIONS entry): cooldown, yanked releases, index upload times. */
export const releaseSection = async (ctx: DoctorContext, now: Date = new Date()): Promise<DoctorCheck[]> => {
  // An index that does not answer is already a failed "index" line; asking it again would only wait longer.
  const r = await releaseChecks(ctx.config, now, { probeIndex: ctx.indexReachable !== false });
  const checks: DoctorCheck[] = [
    {
      check: "cooldown",
      status: "ok",
      detail:
        (r.cooldown === false
          ? "off (index.excludeNewer is false): releases are installed however new"
          : `${r.cooldown}: releases uploaded after ${r.cutoff} are refused (TOO_NEW)`) + exceptionsText(r.exceptions),
    },
    { check: "yanked", status: "ok", detail: "yanked releases (PEP 592) are refused, even pinned with == (YANKED)" },
  ];
  if (r.index.json === false) {
    checks.push({
      check: "upload times",
      status: "fail",
      detail:
        `${redactUrl(ctx.config.index.url)} serves no PEP 691 JSON, so no release has an upload time and the ` +
        "release cooldown refuses them all",
      fix: NO_JSON_FIX,
    });
  } else if (r.index.json === true) {
    checks.push({
      check: "upload times",
      status: "ok",
      detail: `the index serves PEP 691 JSON${r.index.apiVersion ? ` (api-version ${r.index.apiVersion})` : ""}`,
    });
  } else if (r.index.problem !== undefined && ctx.indexReachable !== false) {
    checks.push({
      check: "upload times",
      status: "warn",
      detail: `could not ask the index for PEP 691 JSON (${r.index.problem}); the cooldown needs its upload times`,
      fix: "Check index.url and the network",
    });
  }
  return checks;
};
