// A view is what the engine knows of the cluster: Namespaces and NetworkPolicies. The webhook
// fills one from informers, the CLI from manifests; both go through IndexedView so policies are
// compiled once and looked up by namespace, never scanned.
import { NAMESPACE_NAME_LABEL } from '../shared/names.js';
import { compilePolicy, type CompiledPolicy } from './policies.js';
import type { BoundedCacheOptions } from './bounded-cache.js';
import { createSelectorCache, type SelectorCache } from './selectors.js';
import type { Workload } from './inventory.js';
import type { KubeObject, Labels, NetworkPolicy } from './types.js';

export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  /** Being deleted: nothing should be applied into it any more. */
  readonly terminating?: boolean;
}

export interface View {
  namespace(name: string): NamespaceInfo | undefined;
  namespaces(): Iterable<NamespaceInfo>;
  /**
   * The compiled policies of one namespace; empty when it has none. A returned list never changes
   * afterwards (a change makes a new list): policies.ts caches its selection index per list.
   */
  policiesIn(namespace: string): readonly CompiledPolicy[];
  /** Grows on every change, so derived results can be cached per version; absent when unknown. */
  readonly version?: number;
  /**
   * The workloads the view holds (a CLI view of manifests); absent or empty when it holds none,
   * as the webhook's informer view: then each stage is stood for by representative pods.
   */
  workloads?(): readonly Workload[];
}

const NO_POLICIES: readonly CompiledPolicy[] = Object.freeze([]);

export function namespaceInfo(object: KubeObject): NamespaceInfo {
  const name = object.metadata?.name ?? '';
  return {
    name,
    labels: { ...(object.metadata?.labels ?? {}), [NAMESPACE_NAME_LABEL]: name },
    annotations: { ...(object.metadata?.annotations ?? {}) },
    terminating: object.metadata?.deletionTimestamp !== undefined || (object['status'] as { phase?: string } | undefined)?.phase === 'Terminating',
  };
}

/** A namespace known only by name, with the labels the API server would give it. */
export function syntheticNamespace(name: string): NamespaceInfo {
  return { name, labels: { [NAMESPACE_NAME_LABEL]: name }, annotations: {} };
}

/** A mutable, indexed view. Adapters (manifests, informers) call the setters as objects change. */
export class IndexedView implements View {
  private readonly namespacesByName = new Map<string, NamespaceInfo>();
  private readonly policiesByNamespace = new Map<string, Map<string, CompiledPolicy>>();
  private readonly policyLists = new Map<string, readonly CompiledPolicy[]>();
  private changes = 0;
  private workloadList: readonly Workload[] = [];
  /** Identical selectors of the view's policies, compiled once; bounded (SELECTOR_CACHE_LIMITS by default). */
  readonly selectors: SelectorCache;

  constructor(options: { readonly selectorCache?: BoundedCacheOptions } = {}) {
    this.selectors = createSelectorCache(options.selectorCache);
  }

  get version(): number {
    return this.changes;
  }

  namespace(name: string): NamespaceInfo | undefined {
    return this.namespacesByName.get(name);
  }

  namespaces(): Iterable<NamespaceInfo> {
    return this.namespacesByName.values();
  }

  policiesIn(namespace: string): readonly CompiledPolicy[] {
    let list = this.policyLists.get(namespace);
    if (list === undefined) {
      const byName = this.policiesByNamespace.get(namespace);
      list = byName ? Object.freeze([...byName.values()]) : NO_POLICIES;
      this.policyLists.set(namespace, list);
    }
    return list;
  }

  get namespaceCount(): number {
    return this.namespacesByName.size;
  }

  get policyCount(): number {
    let n = 0;
    for (const m of this.policiesByNamespace.values()) n += m.size;
    return n;
  }

  upsertNamespace(object: KubeObject): void {
    this.changes += 1;
    const info = namespaceInfo(object);
    this.namespacesByName.set(info.name, info);
  }

  /** Adds a namespace that manifests only mention (as `inferred`, else by its name alone), unless it is already known. */
  ensureNamespace(name: string, inferred: NamespaceInfo = syntheticNamespace(name)): void {
    if (this.namespacesByName.has(name)) return;
    this.changes += 1;
    this.namespacesByName.set(name, inferred);
  }

  deleteNamespace(name: string): void {
    this.changes += 1;
    this.namespacesByName.delete(name);
  }

  /** Compiles and stores a policy; throws a StagewallError when it is invalid. */
  upsertPolicy(policy: NetworkPolicy, fallbackNamespace = 'default'): CompiledPolicy {
    const compiled = compilePolicy(policy, fallbackNamespace, { selectors: this.selectors });
    let byName = this.policiesByNamespace.get(compiled.namespace);
    if (!byName) {
      byName = new Map();
      this.policiesByNamespace.set(compiled.namespace, byName);
    }
    byName.set(compiled.name, compiled);
    this.policyLists.delete(compiled.namespace);
    this.changes += 1;
    return compiled;
  }

  workloads(): readonly Workload[] {
    return this.workloadList;
  }

  setWorkloads(workloads: readonly Workload[]): void {
    this.workloadList = workloads;
    this.changes += 1;
  }

  deletePolicy(namespace: string, name: string): void {
    if (this.policiesByNamespace.get(namespace)?.delete(name)) {
      this.policyLists.delete(namespace);
      this.changes += 1;
    }
  }
}
