// The cluster view: reflectors over Namespaces and NetworkPolicies filling an IndexedView, and
// the default-deny reconciler fed by the same events. Works in-cluster and from a kubeconfig.
import { KubeConfig, NetworkingV1Api, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import type { StagewallConfig } from '../config/model.js';
import { IndexedView, type KubeObject, type NetworkPolicy, type ViewSource } from '../engine/index.js';
import type { Logger, ReconcilerMetrics } from '../shared/observability.js';
import { getJson, listAll, NAMESPACES, NETWORK_POLICIES } from './api.js';
import { DefaultDenyReconciler } from './reconciler.js';
import { Reflector, type WatchFn } from './reflector.js';

export const FIELD_MANAGER = 'stagewall';

/** How long an admission waits for a namespace the view does not know yet. */
const NAMESPACE_LOOKUP_TIMEOUT_MS = 2000;

/** How long a namespace the API server does not have is not asked for again. */
export const NAMESPACE_MISS_TTL_MS = 10_000;

/** Misses remembered at once (the oldest is forgotten first); names are at most 63 characters, so about 100 KiB. */
export const MAX_REMEMBERED_MISSES = 1024;

/** Lookups in flight at once: past it a request is judged with the view as it is, as after a miss. */
export const MAX_PENDING_LOOKUPS = 32;

/** A namespace name is an RFC 1123 label: anything else is not a namespace and is never asked for. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface ClusterSourceOptions {
  readonly logger: Logger;
  readonly metrics: ReconcilerMetrics;
  readonly ownNamespace?: string | undefined;
  /** Defaults to in-cluster config, else $KUBECONFIG or ~/.kube/config. */
  readonly kubeConfig?: KubeConfig;
  /** Run the default-deny reconciler (on by default). */
  readonly reconcile?: boolean;
  readonly initialBackoffMs?: number;
  /** How often every pipeline namespace is reconciled, events or not (default 5 minutes). */
  readonly resyncIntervalMs?: number;
}

export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

function watchFn(watch: Watch, path: string): WatchFn {
  return (resourceVersion, onEvent, onDone) =>
    watch.watch(path, { resourceVersion, allowWatchBookmarks: true }, (type, object) => onEvent(type, object), onDone);
}

/** Server-side apply with field manager `stagewall`; `force` takes ownership from other managers. */
export function serverSideApply(networking: NetworkingV1Api): (policy: NetworkPolicy) => Promise<void> {
  return async (policy) => {
    await networking.patchNamespacedNetworkPolicy(
      {
        name: policy.metadata?.name ?? '',
        namespace: policy.metadata?.namespace ?? '',
        body: policy,
        fieldManager: FIELD_MANAGER,
        force: true,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  };
}

export class ClusterViewSource implements ViewSource {
  readonly view = new IndexedView();
  readonly description: string;
  private readonly kc: KubeConfig;
  private readonly networking: NetworkingV1Api;
  private readonly namespaces: Reflector<KubeObject>;
  private readonly policies: Reflector<KubeObject>;
  private reconciler: DefaultDenyReconciler | undefined;
  private readonly knownPolicies = new Set<string>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly lookups = new Map<string, Promise<void>>();
  private readonly missing = new Map<string, number>();

  constructor(private readonly options: ClusterSourceOptions) {
    const kc = options.kubeConfig ?? loadKubeConfig();
    this.kc = kc;
    this.description = `cluster at ${kc.getCurrentCluster()?.server ?? '(unknown server)'}`;
    this.networking = kc.makeApiClient(NetworkingV1Api);
    const watch = new Watch(kc);
    const { logger } = options;
    const backoff = options.initialBackoffMs === undefined ? {} : { initialBackoffMs: options.initialBackoffMs };

    this.namespaces = new Reflector<KubeObject>({
      name: 'namespaces',
      logger,
      ...backoff,
      list: () => this.list(NAMESPACES),
      watch: watchFn(watch, NAMESPACES.path),
      onReplace: (items) => {
        const names = new Set(items.map((i) => i.metadata?.name ?? ''));
        for (const ns of [...this.view.namespaces()]) if (!names.has(ns.name)) this.view.deleteNamespace(ns.name);
        for (const item of items) this.view.upsertNamespace(item);
        this.resyncWhenSynced();
      },
      onEvent: (type, object) => {
        if (type === 'DELETED') {
          this.view.deleteNamespace(object.metadata?.name ?? '');
          this.reconciler?.namespaceDeleted(object.metadata?.name ?? '');
        } else {
          this.view.upsertNamespace(object);
          this.reconciler?.namespaceChanged(object);
        }
      },
    });

    this.policies = new Reflector<KubeObject>({
      name: 'networkpolicies',
      logger,
      ...backoff,
      list: () => this.list(NETWORK_POLICIES),
      watch: watchFn(watch, NETWORK_POLICIES.path),
      onReplace: (items) => {
        const keys = new Set(items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`));
        for (const key of [...this.knownPolicies]) {
          if (keys.has(key)) continue;
          const [namespace = '', name = ''] = key.split('/');
          this.view.deletePolicy(namespace, name);
          this.knownPolicies.delete(key);
        }
        for (const item of items) this.storePolicy(item);
        this.resyncWhenSynced();
      },
      onEvent: (type, object) => {
        const key = `${object.metadata?.namespace}/${object.metadata?.name}`;
        if (type === 'DELETED') {
          this.view.deletePolicy(object.metadata?.namespace ?? '', object.metadata?.name ?? '');
          this.knownPolicies.delete(key);
        } else {
          this.storePolicy(object);
        }
        this.reconciler?.policyChanged(object);
      },
    });
  }

  /** A full list as wire JSON (see cluster/api.ts), in the reflector's shape. */
  private async list(type: { path: string; apiVersion: string; kind: string }): Promise<{ items: KubeObject[]; metadata: { resourceVersion: string } }> {
    const { items, resourceVersion } = await listAll(this.kc, type.path, type);
    return { items, metadata: { resourceVersion } };
  }

  private storePolicy(object: KubeObject): void {
    try {
      this.view.upsertPolicy(object as NetworkPolicy);
      this.knownPolicies.add(`${object.metadata?.namespace}/${object.metadata?.name}`);
    } catch (err) {
      // The API server validated it; a policy we cannot compile is logged, not fatal.
      this.options.logger.error(
        { event: 'policy-compile-failed', namespace: object.metadata?.namespace, name: object.metadata?.name, error: (err as Error).message },
        'cannot index policy',
      );
    }
  }

  /** A relist may have missed events: resync, but only once both kinds are listed (else every
   * managed policy would look missing and be re-applied at start). */
  private resyncWhenSynced(): void {
    if (this.synced()) this.reconciler?.resyncAll();
  }

  synced(): boolean {
    return this.namespaces.isSynced() && this.policies.isSynced();
  }

  async start(config: () => StagewallConfig): Promise<void> {
    const { metrics, logger } = this.options;
    if (this.options.reconcile !== false) {
      this.reconciler = new DefaultDenyReconciler({
        apply: serverSideApply(this.networking),
        config,
        view: this.view,
        ownNamespace: this.options.ownNamespace,
        metrics,
        logger,
      });
    }
    // Not awaited: the server starts and reports not-ready until both have listed.
    void Promise.all([this.namespaces.start(), this.policies.start()]).then(() => {
      logger.info({ event: 'view-synced', namespaces: this.view.namespaceCount, policies: this.view.policyCount }, 'cluster view synced');
      this.reconciler?.resyncAll();
    });
    // A safety net under the events: drift that slipped past them is repaired within minutes.
    this.resyncTimer = setInterval(() => this.resyncWhenSynced(), this.options.resyncIntervalMs ?? 5 * 60_000);
    this.resyncTimer.unref();
  }

  /** Backfill after a config reload: pipelines may have been added. */
  configChanged(): void {
    this.reconciler?.resyncAll();
  }

  /**
   * One lookup per name at a time, at most 2 s, at most MAX_PENDING_LOOKUPS at once, only for
   * names a namespace can have, and a miss is remembered for 10 s (the last MAX_REMEMBERED_MISSES):
   * a caller sending made-up namespaces can neither turn the webhook into a load on the API server
   * nor grow its memory.
   */
  ensureNamespace(name: string): Promise<void> {
    if (!NAMESPACE_NAME.test(name)) return Promise.resolve();
    const missUntil = this.missing.get(name);
    if (missUntil !== undefined) {
      if (missUntil > Date.now()) return Promise.resolve();
      this.missing.delete(name);
    }
    let lookup = this.lookups.get(name);
    if (!lookup) {
      if (this.lookups.size >= MAX_PENDING_LOOKUPS) return Promise.resolve();
      // getJson's deadline covers credentials and the whole answer.
      lookup = getJson(this.kc, `${NAMESPACES.path}/${encodeURIComponent(name)}`, {}, NAMESPACE_LOOKUP_TIMEOUT_MS)
        .then((ns) => {
          if (!this.view.namespace(name)) this.view.upsertNamespace(ns as KubeObject);
        })
        .catch((err: unknown) => {
          this.rememberMiss(name);
          this.options.logger.debug({ event: 'namespace-lookup-failed', namespace: name, error: (err as Error).message }, 'namespace lookup failed');
        })
        .finally(() => this.lookups.delete(name));
      this.lookups.set(name, lookup);
    }
    return lookup;
  }

  /** Every miss has the same lifetime, so the first in the map is the next to expire: forget it first. */
  private rememberMiss(name: string): void {
    this.missing.delete(name);
    while (this.missing.size >= MAX_REMEMBERED_MISSES) this.missing.delete(this.missing.keys().next().value as string);
    this.missing.set(name, Date.now() + NAMESPACE_MISS_TTL_MS);
  }

  /** For tests: how many misses are remembered, and lookups in flight. */
  get lookupState(): { readonly misses: number; readonly pending: number } {
    return { misses: this.missing.size, pending: this.lookups.size };
  }

  async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.reconciler?.stop();
    this.namespaces.stop();
    this.policies.stop();
  }

  /** For tests: the reconciler, once started. */
  get defaultDeny(): DefaultDenyReconciler | undefined {
    return this.reconciler;
  }
}

export function createClusterViewSource(options: ClusterSourceOptions): ClusterViewSource {
  return new ClusterViewSource(options);
}
