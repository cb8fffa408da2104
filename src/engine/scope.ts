// Scope: is a namespace judged, in which mode, for which pipeline? One answer for the admission
// rules (evaluate), the mutation (mutate) and the default-deny reconciler, which used to answer
// it three times, each with its own subset of the checks.
import type { Mode, Pipeline, StagewallConfig } from '../config/model.js';
import { KUBE_SYSTEM_NAMESPACE } from '../shared/names.js';
import { pipelineOfNamespace } from './peers.js';
import { syntheticNamespace, type NamespaceInfo, type View } from './view.js';

export interface ScopeContext {
  readonly config: StagewallConfig;
  /** stagewall's own namespace: never judged, whatever the config says. */
  readonly ownNamespace?: string | undefined;
}

/**
 * What the answer is for. `admission`: the rules and the pod mutation. `default-deny`: the managed
 * policies (the reconciler, the namespace annotation), which also need defaultDeny enabled and a
 * namespace that is not being deleted.
 */
export type ScopePurpose = 'admission' | 'default-deny';

/** Why a namespace is not judged, the first that applies in this order. */
export type ScopeSkip = 'exempt-namespace' | 'default-deny-off' | 'terminating' | 'not-a-pipeline' | 'mode-off';

export interface Scope {
  /** Absent when the namespace is judged. */
  readonly skipped?: ScopeSkip;
  /** The declared pipeline the namespace belongs to, mode off or not; absent for a protected namespace. */
  readonly pipeline?: Pipeline;
  /** The pipeline's mode, else the config's. */
  readonly mode: Mode;
}

/** Namespaces stagewall must never be able to block: kube-system, its own, and the exempt list. */
export function isProtectedNamespace(namespace: string, ctx: ScopeContext): boolean {
  return namespace === KUBE_SYSTEM_NAMESPACE || namespace === ctx.ownNamespace || ctx.config.exemptNamespaces.has(namespace);
}

/**
 * The scope of namespace `name`, whose labels are `ns` (undefined when nothing is known of it:
 * then it belongs to no pipeline).
 */
export function scopeOf(name: string, ns: NamespaceInfo | undefined, ctx: ScopeContext, purpose: ScopePurpose = 'admission'): Scope {
  const { config } = ctx;
  if (isProtectedNamespace(name, ctx)) return { skipped: 'exempt-namespace', mode: config.mode };
  const pipeline = pipelineOfNamespace(ns, config);
  const mode = pipeline?.mode ?? config.mode;
  const found = pipeline === undefined ? { mode } : { pipeline, mode };
  if (purpose === 'default-deny') {
    if (!config.defaultDeny.enabled) return { ...found, skipped: 'default-deny-off' };
    if (ns?.terminating) return { ...found, skipped: 'terminating' };
  }
  if (pipeline === undefined) return { ...found, skipped: 'not-a-pipeline' };
  if (mode === 'off') return { ...found, skipped: 'mode-off' };
  return found;
}

// Which pipeline the config places in each namespace, per config (a config is never mutated).
const placements = new WeakMap<StagewallConfig, ReadonlyMap<string, string | undefined>>();

/** The one pipeline whose stages the config places in `namespace`, if exactly one does. */
export function configuredPipeline(namespace: string, config: StagewallConfig): string | undefined {
  let byNamespace = placements.get(config);
  if (!byNamespace) {
    const claims = new Map<string, Set<string>>();
    for (const stage of config.stages.values()) {
      const set = claims.get(stage.namespace) ?? new Set<string>();
      set.add(stage.pipeline);
      claims.set(stage.namespace, set);
    }
    byNamespace = new Map([...claims].map(([ns, set]) => [ns, set.size === 1 ? [...set][0] : undefined]));
    placements.set(config, byNamespace);
  }
  return byNamespace.get(namespace);
}

/**
 * A namespace known only by name: the labels the API server would give it, plus the pipeline
 * label when the config places one pipeline's stages there. A namespace the view lacks (manifests
 * kept elsewhere, an informer that lags) is judged as the config places it, by `check` and the
 * webhook alike; a namespace the view has keeps its own labels.
 */
export function inferredNamespace(name: string, config: StagewallConfig): NamespaceInfo {
  const ns = syntheticNamespace(name);
  const pipeline = configuredPipeline(name, config);
  return pipeline === undefined ? ns : { ...ns, labels: { [config.labels.pipeline]: pipeline, ...ns.labels } };
}

/** The namespace as the view knows it, else as inferred from the config. */
export function namespaceIn(view: View, name: string, config: StagewallConfig): NamespaceInfo {
  return view.namespace(name) ?? inferredNamespace(name, config);
}
