import { LRUCache } from "lru-cache";
import type { AuditLog } from "../audit/log.js";
import type { Maturity } from "../config.js";
import { PackageGuardError, toPackageGuardError, type ErrorCode } from "../errors.js";
import { isMalware, type Finding } from "../scan/types.js";
import { npmPurl, type CdnLibrary } from "../widgets/cdn-url.js";
import { analyzeWidget } from "../widgets/html.js";
import { sha384Integrity } from "../widgets/integrity.js";
import { fileLoadsMore } from "../widgets/library-file.js";
import { netOriginRefusals } from "../widgets/net-origins.js";
import { planWidget, type PlannedRef, type PlanRefusal, type WidgetOptions, type WidgetPlan } from "../widgets/plan.js";
import { applyRewrites, type TagRewrite } from "../widgets/rewrite.js";
import type { WidgetAnalysis } from "../widgets/types.js";
import type { PackageFiles } from "./widget-files.js";

/** The npm whitelist and scanner as the gate needs them: one exact version at a time. */
export interface WidgetPolicy {
  /** Throws PackageGuardError (NOT_WHITELISTED, CONSTRAINT_VIOLATION, APPROVAL_REQUIRED…) unless allowed. */
  allow(name: string, version: string, maturity: Maturity): Promise<void>;
  /** Known advisories for the exact version after the operator's ignore rules; throws SCANNER_UNAVAILABLE. */
  scan(name: string, version: string, signal?: AbortSignal): Promise<Finding[]>;
}

export type WidgetRequest = {
  widgetCode: string;
  capabilities?: unknown;
  agentId?: string | null;
  sessionKey?: string | null;
  toolCallId?: string | null;
};

export type LibraryOutcome = {
  package: string;
  version: string;
  purl: string;
  allowed: boolean;
  code?: ErrorCode;
  reason?: string;
  files: { url: string; path: string; integrity: string | null }[];
};

export type WidgetDecision =
  | { allowed: true; widgetCode: string; changed: boolean; libraries: LibraryOutcome[] }
  | { allowed: false; code: ErrorCode; reason: string; libraries: LibraryOutcome[]; refusals: PlanRefusal[] };

export type WidgetGateDeps = {
  options: WidgetOptions;
  policy: WidgetPolicy;
  files: PackageFiles;
  audit: AuditLog;
  maturityOf: (agentId: string | null | undefined) => Maturity;
  now?: () => Date;
};

type FileCheck = { integrity: string; problem: string | null };
const MAX_REASONS = 5;
const MAX_WIDGET_CHARS = 262_144;
const libKey = (l: { name: string; version: string }): string => `${l.name}@${l.version}`;

const scanVerdict = (lib: CdnLibrary, findings: Finding[]): PackageGuardError | null => {
  if (findings.length === 0) return null;
  const ids = findings.map((f) => f.id);
  const malicious = findings.filter(isMalware);
  if (malicious.length > 0)
    return new PackageGuardError(
      "MALICIOUS",
      `${lib.name}@${lib.version} is known malicious (${malicious.map((f) => f.id).join(", ")}); never load it`,
      { details: { package: lib.name, version: lib.version, vulnerabilities: ids } },
    );
  return new PackageGuardError(
    "VULNERABLE",
    `${lib.name}@${lib.version} has known vulnerabilities (${ids.join(", ")}); pin a fixed version`,
    { details: { package: lib.name, version: lib.version, vulnerabilities: ids } },
  );
};

/**
 * The canvas widget gate (issue 16 item 4): every CDN reference in widget_code must name an exact, whitelisted,
 * scanned npm release; tags that load a package file are rewritten with the SRI hash of that file as the registry
 * published it; anything the gate cannot bind or check is refused. Every decision is audited (source `widget`).
 */
export class WidgetGate {
  private readonly now: () => Date;
  private readonly fileChecks = new LRUCache<string, FileCheck>({ max: 5_000 });

  constructor(private readonly deps: WidgetGateDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async review(request: WidgetRequest, signal?: AbortSignal): Promise<WidgetDecision> {
    const started = this.now();
    const maturity = this.deps.maturityOf(request.agentId);
    const { analysis, plan } = this.analyze(request.widgetCode);
    const refusals: PlanRefusal[] = [...plan.refusals, ...netOriginRefusals(request.capabilities)];
    const libraries = new Map<string, { lib: CdnLibrary; refs: PlannedRef[]; error?: PackageGuardError }>();
    for (const p of plan.planned) {
      if (!p.library) continue;
      const entry = libraries.get(libKey(p.library)) ?? { lib: p.library, refs: [] };
      entry.refs.push(p);
      libraries.set(libKey(p.library), entry);
    }
    // A library that a refusal names is audited with it, even when nothing else refers to it.
    for (const r of refusals) {
      if (r.library && !libraries.has(libKey(r.library)))
        libraries.set(libKey(r.library), { lib: r.library, refs: [] });
    }
    const rewrites: TagRewrite[] = [];
    const files = new Map<string, LibraryOutcome["files"]>();
    for (const [key, entry] of libraries) {
      if (entry.refs.length === 0) continue;
      try {
        await this.deps.policy.allow(entry.lib.name, entry.lib.version, maturity);
        const verdict = scanVerdict(entry.lib, await this.deps.policy.scan(entry.lib.name, entry.lib.version, signal));
        if (verdict) throw verdict;
        const bound: LibraryOutcome["files"] = [];
        for (const p of entry.refs) {
          const integrity = p.hash ? await this.checkFile(p, signal) : null;
          if (p.binding) rewrites.push({ binding: p.binding, url: p.url, integrity });
          bound.push({ url: p.url, path: p.library!.path, integrity });
        }
        files.set(key, bound);
      } catch (error) {
        entry.error = toPackageGuardError(error);
        refusals.push({
          code: entry.error.code,
          message: entry.error.message,
          where: entry.refs[0]!.ref.where,
          library: entry.lib,
        });
      }
    }
    // Font hosts: nothing to check but the host; their tags keep the URL we parsed.
    for (const p of plan.planned)
      if (!p.library && p.binding) rewrites.push({ binding: p.binding, url: p.url, integrity: null });

    const outcomes: LibraryOutcome[] = [...libraries.values()].map(({ lib, error }) => {
      const refusal = refusals.find((r) => r.library && libKey(r.library) === libKey(lib));
      const code = error?.code ?? refusal?.code;
      const reason = error?.message ?? refusal?.message;
      const outcome: LibraryOutcome = {
        package: lib.name,
        version: lib.version,
        purl: npmPurl(lib.name, lib.version),
        allowed: code === undefined,
        files: files.get(libKey(lib)) ?? [],
      };
      if (code) Object.assign(outcome, { code, reason });
      return outcome;
    });
    let widgetCode: string | null = null;
    if (refusals.length === 0) {
      try {
        widgetCode = applyRewrites(analysis.code, rewrites);
      } catch (error) {
        const message = `a tag cannot be rewritten (${error instanceof Error ? error.message : String(error)})`;
        refusals.push({ code: "INVALID_REQUIREMENT", message, where: "widget_code" });
      }
    }
    const decision: WidgetDecision =
      widgetCode === null
        ? { allowed: false, code: refusals[0]!.code, reason: this.reason(refusals), libraries: outcomes, refusals }
        : { allowed: true, widgetCode, changed: rewrites.length > 0, libraries: outcomes };
    await this.record(request, maturity, decision, this.now().getTime() - started.getTime());
    return decision;
  }

  /** Parse and plan; markup too large or too deep to read is a refusal like any other, and audited as one. */
  private analyze(widgetCode: string): { analysis: WidgetAnalysis; plan: WidgetPlan } {
    const unreadable = (message: string) => {
      const analysis: WidgetAnalysis = { code: widgetCode, refs: [], refusals: [] };
      return {
        analysis,
        plan: { planned: [], refusals: [{ code: "INVALID_REQUIREMENT" as const, message, where: "widget_code" }] },
      };
    };
    // OpenClaw's own limit; it would reject a longer widget_code anyway, and the gate must not spend time on one.
    if (widgetCode.length > MAX_WIDGET_CHARS)
      return unreadable(`widget_code is longer than ${MAX_WIDGET_CHARS} characters`);
    try {
      const analysis = analyzeWidget(widgetCode);
      return { analysis, plan: planWidget(analysis, this.deps.options) };
    } catch (error) {
      return unreadable(`widget_code cannot be analysed (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  private reason(refusals: PlanRefusal[]): string {
    const shown = refusals.slice(0, MAX_REASONS).map((r) => `[${r.code}] ${r.message} (${r.where})`);
    const more = refusals.length > MAX_REASONS ? `; and ${refusals.length - MAX_REASONS} more` : "";
    return `package-guard refused this widget: ${shown.join("; ")}${more}`;
  }

  /** The SRI value of one package file, once its tarball matched the registry; cached by name@version/path. */
  private async checkFile(p: PlannedRef, signal?: AbortSignal): Promise<string> {
    const lib = p.library!;
    const key = `${lib.name}@${lib.version}/${lib.path}|${p.moduleFile ? "m" : ""}${p.cssFile ? "c" : ""}`;
    let check = this.fileChecks.get(key);
    if (!check) {
      const contents = await this.deps.files.contents(lib.name, lib.version, signal);
      if (contents.ambiguous.has(lib.path))
        throw new PackageGuardError(
          "INVALID_REQUIREMENT",
          `${lib.path} occurs more than once (or as a link) in ${lib.name}@${lib.version}; which bytes a CDN ` +
            `serves for it cannot be known`,
        );
      const data = contents.files.get(lib.path);
      if (!data)
        throw new PackageGuardError(
          "INVALID_REQUIREMENT",
          `${lib.name}@${lib.version} has no file '${lib.path}' (CDN-generated files such as auto-minified ones ` +
            `cannot be checked); name a file the package publishes`,
        );
      check = { integrity: sha384Integrity(data), problem: await fileLoadsMore(data, p) };
      this.fileChecks.set(key, check);
    }
    if (check.problem)
      throw new PackageGuardError("INVALID_REQUIREMENT", `${lib.name}@${lib.version}/${lib.path}: ${check.problem}`);
    return check.integrity;
  }

  private async record(
    request: WidgetRequest,
    maturity: Maturity,
    decision: WidgetDecision,
    durationMs: number,
  ): Promise<void> {
    const base = {
      source: "widget" as const,
      agentId: request.agentId ?? null,
      sessionKey: request.sessionKey ?? null,
      client: request.toolCallId ? `show_widget:${request.toolCallId}` : "show_widget",
      maturity,
      durationMs,
    };
    const widget = decision.allowed ? "allowed" : "blocked";
    for (const lib of decision.libraries) {
      await this.deps.audit.append({
        ...base,
        status: lib.allowed ? "vetted" : "blocked",
        requested: lib.files[0]?.url ?? `${lib.package}@${lib.version}`,
        // npm: the name is kept as npm spells it (a PyPI record would be PEP 503-normalized) and found by ecosystem.
        ecosystem: "npm",
        package: lib.package,
        version: lib.version,
        code: lib.code ?? null,
        reason: lib.reason ?? (decision.allowed ? "Widget library allowed" : "Library passed; the widget was refused"),
        details: { ecosystem: "npm", purl: lib.purl, files: lib.files, widget },
      });
    }
    // Refusals that name no exact release: one record per package they name (`d3@latest`), one for the rest (a
    // loader, a host, a parse problem), and one for a widget that loads no library at all.
    const unnamed = decision.allowed ? [] : decision.refusals.filter((r) => !r.library);
    for (const r of unnamed.filter((u) => u.package)) {
      await this.deps.audit.append({
        ...base,
        status: "blocked",
        requested: r.url ?? null,
        ecosystem: "npm",
        package: r.package!,
        code: r.code,
        reason: r.message,
        details: { ecosystem: "npm", widget, where: r.where },
      });
    }
    const rest = unnamed.filter((u) => !u.package);
    if (rest.length > 0 || (decision.libraries.length === 0 && unnamed.length === 0)) {
      await this.deps.audit.append({
        ...base,
        status: decision.allowed ? "vetted" : "blocked",
        code: rest[0]?.code ?? null,
        reason: decision.allowed ? "Widget loads no CDN library" : this.reason(rest),
        details: { widget, refusals: rest.slice(0, 20).map((r) => ({ code: r.code, where: r.where })) },
      });
    }
  }
}
