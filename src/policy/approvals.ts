import { randomUUID } from "node:crypto";
import { PackageGuardError } from "../errors.js";
import { JsonStore } from "../util/json-store.js";

export type ApprovalStatus = "pending" | "approved" | "denied";

/** What `list` can select: a stored status, or approved grants whose time ran out. */
export const APPROVAL_FILTERS = ["pending", "approved", "denied", "expired"] as const;
export type ApprovalFilter = (typeof APPROVAL_FILTERS)[number];

/** What an approval is for: exactly this agent, skill, package and range; a grant widens nothing else. */
export type ApprovalKey = { agentId: string | null; skill: string; package: string; specifier: string };

export type Approval = ApprovalKey & {
  id: string;
  status: ApprovalStatus;
  maturity: string;
  reason: string;
  requestedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  note: string | null;
  /** For an approved grant: it lets the request through until then. */
  expiresAt: string | null;
};

export type ApprovalView = Approval & { expired: boolean };

type StoreFile = { version: 1; approvals: Approval[] };

const isStoreFile = (x: unknown): x is StoreFile =>
  (x as StoreFile | null)?.version === 1 && Array.isArray((x as StoreFile).approvals);

export type ApprovalStoreOptions = {
  file: string;
  ttlHours: number;
  maxPending: number;
  /** How many requests one agent may have pending at once, so one agent cannot fill the queue for all. */
  maxPendingPerAgent?: number;
  /** A request nobody resolved within this many hours expires (and frees its place in the queue). */
  pendingTtlHours?: number;
  now?: () => Date;
  lockTimeoutMs?: number;
};

const sameKey = (a: ApprovalKey, b: ApprovalKey): boolean =>
  a.agentId === b.agentId && a.skill === b.skill && a.package === b.package && a.specifier === b.specifier;

export const DEFAULT_MAX_PENDING_PER_AGENT = 5;
export const DEFAULT_PENDING_TTL_HOURS = 24;

// Resolved approvals older than this are dropped from the file so it cannot grow without bound.
const KEEP_RESOLVED_MS = 30 * 24 * 3600 * 1000;

/**
 * Pending approvals and live grants, persisted atomically (temp + rename) under a lock, so a gateway and the
 * CLI can both resolve and request without losing each other's writes.
 */
export class ApprovalStore {
  private readonly now: () => Date;
  private readonly store: JsonStore<StoreFile>;
  private readonly maxPendingPerAgent: number;
  private readonly pendingTtlMs: number;

  constructor(private readonly options: ApprovalStoreOptions) {
    this.now = options.now ?? (() => new Date());
    this.maxPendingPerAgent = options.maxPendingPerAgent ?? DEFAULT_MAX_PENDING_PER_AGENT;
    this.pendingTtlMs = (options.pendingTtlHours ?? DEFAULT_PENDING_TTL_HOURS) * 3600 * 1000;
    // Fail closed: an unreadable store grants nothing.
    this.store = new JsonStore(
      options.file,
      "The approvals file",
      () => ({ version: 1, approvals: [] }),
      isStoreFile,
      options.lockTimeoutMs,
    );
  }

  /** A live grant for exactly this key, if an operator approved one and it has not expired. */
  async grantFor(key: ApprovalKey): Promise<Approval | undefined> {
    const now = this.now().getTime();
    return (await this.store.read()).approvals.find(
      (a) => a.status === "approved" && sameKey(a, key) && a.expiresAt !== null && Date.parse(a.expiresAt) > now,
    );
  }

  /** Creates a pending approval, or returns the pending one for the same key (an agent retrying adds nothing). */
  async request(
    key: ApprovalKey,
    details: { maturity: string; reason: string },
  ): Promise<{ approval: Approval; created: boolean }> {
    return this.edit((file) => {
      const now = this.now().getTime();
      const live = file.approvals.filter((a) => this.pendingLive(a, now));
      const existing = live.find((a) => sameKey(a, key));
      if (existing) return { approval: existing, created: false };
      const mine = live.filter((a) => a.agentId === key.agentId).length;
      if (mine >= this.maxPendingPerAgent) {
        throw new PackageGuardError(
          "APPROVAL_REQUIRED",
          `Package '${key.package}' needs operator approval, but this agent already has ${mine} requests pending ` +
            `(approvals.maxPendingPerAgent); wait for an operator to resolve them, or for them to expire`,
          { details: { package: key.package, skill: key.skill, pending: mine, queueFull: true, scope: "agent" } },
        );
      }
      const pending = live.length;
      if (pending >= this.options.maxPending) {
        throw new PackageGuardError(
          "APPROVAL_REQUIRED",
          `Package '${key.package}' needs operator approval, but ${pending} approvals are already pending ` +
            `(approvals.maxPending); ask an operator to resolve them first`,
          { details: { package: key.package, skill: key.skill, pending, queueFull: true, scope: "all" } },
        );
      }
      const approval: Approval = {
        ...key,
        id: `apr_${randomUUID().replace(/-/g, "").slice(0, 16)}`,
        status: "pending",
        maturity: details.maturity,
        reason: details.reason,
        requestedAt: this.now().toISOString(),
        resolvedAt: null,
        resolvedBy: null,
        note: null,
        expiresAt: null,
      };
      file.approvals.push(approval);
      return { approval, created: true };
    });
  }

  async list(status?: ApprovalFilter): Promise<ApprovalView[]> {
    const now = this.now().getTime();
    const views = (await this.store.read()).approvals.map((a) =>
      Object.assign(a, {
        expired:
          (a.status === "approved" && a.expiresAt !== null && Date.parse(a.expiresAt) <= now) ||
          (a.status === "pending" && !this.pendingLive(a, now)),
      }),
    );
    const selected =
      status === undefined
        ? views
        : status === "expired"
          ? views.filter((a) => a.expired)
          : views.filter((a) => a.status === status && !a.expired);
    return selected.toSorted((a, b) => b.requestedAt.localeCompare(a.requestedAt));
  }

  /** An operator's decision on a pending approval. */
  async resolve(
    id: string,
    decision: "approve" | "deny",
    by: { who: string | null; ttlHours?: number; note?: string },
  ): Promise<Approval> {
    return this.edit((file) => {
      const approval = file.approvals.find((a) => a.id === id);
      if (!approval)
        throw new PackageGuardError(
          "NOT_FOUND",
          `No approval with id '${id}'; list them with packages.approvals.list`,
          { details: { id } },
        );
      if (approval.status === "pending" && !this.pendingLive(approval, this.now().getTime())) {
        throw new PackageGuardError(
          "CONSTRAINT_VIOLATION",
          `Approval '${id}' expired unresolved; the agent's next request creates a new approval`,
          { details: { id, status: "expired" } },
        );
      }
      if (approval.status !== "pending") {
        throw new PackageGuardError(
          "CONSTRAINT_VIOLATION",
          `Approval '${id}' was already ${approval.status}; a new request creates a new approval`,
          { details: { id, status: approval.status } },
        );
      }
      const now = this.now();
      approval.status = decision === "approve" ? "approved" : "denied";
      approval.resolvedAt = now.toISOString();
      approval.resolvedBy = by.who;
      approval.note = by.note ?? null;
      if (decision === "approve")
        approval.expiresAt = new Date(
          now.getTime() + (by.ttlHours ?? this.options.ttlHours) * 3600 * 1000,
        ).toISOString();
      return approval;
    });
  }

  /** Ends an approved grant now (an allow-once grant after the one request it was for). */
  async expire(id: string): Promise<void> {
    await this.edit((file) => {
      const approval = file.approvals.find((a) => a.id === id);
      if (approval?.status === "approved") approval.expiresAt = this.now().toISOString();
    });
  }

  /** A pending request an operator can still resolve: not older than approvals.pendingTtlHours. */
  private pendingLive(a: Approval, now: number): boolean {
    return a.status === "pending" && Date.parse(a.requestedAt) + this.pendingTtlMs > now;
  }

  private async edit<T>(change: (file: StoreFile) => T): Promise<T> {
    return this.store.edit((file) => {
      const result = change(file);
      const cutoff = this.now().getTime() - KEEP_RESOLVED_MS;
      file.approvals = file.approvals.filter(
        (a) =>
          this.pendingLive(a, this.now().getTime()) ||
          Date.parse(a.resolvedAt ?? a.requestedAt) > cutoff ||
          (a.expiresAt !== null && Date.parse(a.expiresAt) > cutoff),
      );
      return result;
    });
  }
}
