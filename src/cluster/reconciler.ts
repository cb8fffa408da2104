// The default-deny reconciler (SPEC §4): keeps the managed policies applied in every pipeline
// namespace. Idempotent server-side apply, so every replica may run it; failures retry with
// exponential backoff; drift (an edited or deleted managed policy) is repaired.
import type { StagewallConfig } from '../config/model.js';
import { type KubeObject, managedPolicies, namespaceInfo, type NetworkPolicy, scopeOf, type View } from '../engine/index.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../shared/names.js';
import type { Logger, ReconcilerMetrics } from '../shared/observability.js';

export interface ReconcilerOptions {
  readonly apply: (policy: NetworkPolicy) => Promise<void>;
  readonly config: () => StagewallConfig;
  readonly view: View;
  readonly ownNamespace?: string | undefined;
  readonly metrics: ReconcilerMetrics;
  readonly logger: Logger;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Namespaces reconciled at once. */
  readonly concurrency?: number;
}

/** Key-order-independent equality of JSON values. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** True when the stored policy already is what stagewall would apply. */
export function policyUpToDate(existing: NetworkPolicy | undefined, desired: NetworkPolicy): boolean {
  if (!existing) return false;
  if (existing.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) return false;
  return sameJson(existing.spec, desired.spec);
}

export class DefaultDenyReconciler {
  /** Queued, running or waiting for a retry; `dirty` when an event came in while it ran. */
  private readonly pending = new Map<string, { attempt: number; timer?: NodeJS.Timeout; running?: boolean; dirty?: boolean }>();
  private readonly queue: string[] = [];
  private readonly createdAt = new Map<string, number>();
  private running = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: ReconcilerOptions) {}

  /** A namespace was added or changed. */
  namespaceChanged(object: KubeObject): void {
    const name = object.metadata?.name;
    if (!name || !this.isPipelineNamespace(name, object)) return;
    const created = Date.parse(object.metadata?.creationTimestamp ?? '');
    if (!Number.isNaN(created) && !this.createdAt.has(name)) this.createdAt.set(name, created);
    this.enqueue(name);
  }

  /** A namespace went away: forget it. */
  namespaceDeleted(name: string): void {
    this.createdAt.delete(name);
    const entry = this.pending.get(name);
    if (entry?.timer) clearTimeout(entry.timer);
    if (!entry?.running) this.pending.delete(name);
  }

  /** A policy was added, changed or deleted: repair it if it is one of ours. */
  policyChanged(object: KubeObject): void {
    const namespace = object.metadata?.namespace;
    const name = object.metadata?.name;
    if (!namespace || !name) return;
    const names = managedPolicies(namespace, this.options.config()).map((p) => p.metadata?.name);
    if (names.includes(name) && this.isPipelineNamespace(namespace)) this.enqueue(namespace);
  }

  /** Every pipeline namespace of the view: at start (backfill) and after a config reload. */
  resyncAll(): void {
    for (const ns of this.options.view.namespaces()) {
      if (this.isPipelineNamespace(ns.name)) this.enqueue(ns.name);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.pending.values()) if (entry.timer) clearTimeout(entry.timer);
    this.pending.clear();
    this.queue.length = 0;
  }

  /** Resolves when nothing is queued or running (for tests and orderly shutdown). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0 && [...this.pending.values()].every((p) => !p.timer)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isPipelineNamespace(name: string, object?: KubeObject): boolean {
    const ns = object ? namespaceInfo(object) : this.options.view.namespace(name);
    return scopeOf(name, ns, { config: this.options.config(), ownNamespace: this.options.ownNamespace }, 'default-deny').skipped === undefined;
  }

  private enqueue(namespace: string): void {
    if (this.stopped) return;
    const entry = this.pending.get(namespace);
    if (!entry) {
      this.pending.set(namespace, { attempt: 0 });
      this.queue.push(namespace);
      this.pump();
      return;
    }
    if (entry.running) {
      // It reconciles from a snapshot taken before this event: go again once it is done.
      entry.dirty = true;
    } else if (entry.timer) {
      // An event beats the backoff timer: try again now.
      clearTimeout(entry.timer);
      delete entry.timer;
      this.queue.push(namespace);
      this.pump();
    }
  }

  private pump(): void {
    const limit = this.options.concurrency ?? 4;
    while (!this.stopped && this.running < limit && this.queue.length > 0) {
      const namespace = this.queue.shift() as string;
      this.running += 1;
      void this.reconcile(namespace).finally(() => {
        this.running -= 1;
        this.pump();
        this.notifyIdle();
      });
    }
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.queue.length > 0 || this.running > 0 || [...this.pending.values()].some((p) => p.timer)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async reconcile(namespace: string): Promise<void> {
    const entry = this.pending.get(namespace) ?? { attempt: 0 };
    this.pending.set(namespace, entry);
    entry.running = true;
    entry.dirty = false;
    let failed: boolean;
    try {
      failed = !(await this.applyMissing(namespace, entry));
    } finally {
      entry.running = false;
    }
    if (this.stopped) return;
    if (failed) return; // a retry timer is set
    if (entry.dirty) {
      entry.dirty = false;
      this.queue.push(namespace);
      return;
    }
    this.createdAt.delete(namespace);
    this.pending.delete(namespace);
  }

  /** Applies what differs from the desired managed policies; false when an apply failed. */
  private async applyMissing(namespace: string, entry: { attempt: number; timer?: NodeJS.Timeout }): Promise<boolean> {
    const { metrics, logger, view } = this.options;
    if (!this.isPipelineNamespace(namespace)) return true;
    const existing = new Map(view.policiesIn(namespace).map((p) => [p.name, p.raw]));
    const desiredPolicies = managedPolicies(namespace, this.options.config());
    for (const desired of desiredPolicies) {
      const name = desired.metadata?.name ?? '';
      if (policyUpToDate(existing.get(name), desired)) continue;
      try {
        await this.options.apply(desired);
        metrics.policiesApplied.inc({ policy: name });
        logger.info({ event: 'policy-applied', namespace, policy: name, repaired: existing.has(name) }, 'managed policy applied');
        const created = this.createdAt.get(namespace);
        if (created !== undefined && !existing.has(name) && name === desiredPolicies[0]?.metadata?.name) {
          const seconds = (Date.now() - created) / 1000;
          if (seconds >= 0 && seconds < 600) metrics.namespaceToPolicySeconds.observe(seconds);
        }
      } catch (err) {
        metrics.policyApplyFailures.inc({ policy: name });
        const max = this.options.maxBackoffMs ?? 30_000;
        const delay = Math.min(max, (this.options.initialBackoffMs ?? 500) * 2 ** entry.attempt);
        entry.attempt += 1;
        logger.warn(
          { event: 'policy-apply-failed', namespace, policy: name, attempt: entry.attempt, retryInMs: delay, error: (err as Error).message },
          'applying a managed policy failed; retrying',
        );
        if (this.stopped) return false;
        entry.timer = setTimeout(() => {
          delete entry.timer;
          this.queue.push(namespace);
          this.pump();
        }, delay);
        entry.timer.unref();
        return false;
      }
    }
    return true;
  }
}
