// Mutations (SPEC §4): what stagewall changes on an admission, as metadata entries to set. The
// admission layer renders them as JSON Patch (admission/patch.ts).
import { DEFAULT_DENY_ANNOTATION, managedPolicyNames } from '../shared/names.js';
import type { EngineContext, Review } from './evaluate.js';
import { checkStructure } from './limits.js';
import { namespaceIn, scopeOf } from './scope.js';
import { effectivePodLabels } from './subjects.js';
import type { KubeObject } from './types.js';
import { namespaceInfo } from './view.js';

/**
 * Metadata entries to set, only those that differ from the object's: a Pod's labels, or on a
 * Namespace the default-deny annotation naming the managed policies stagewall will inject.
 */
export interface Mutation {
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

const NO_CHANGE: Mutation = Object.freeze({});

/** The entries of `wanted` that `current` does not hold already, in order; undefined when there are none. */
function changedEntries(current: Readonly<Record<string, string>> | undefined, wanted: Readonly<Record<string, string>>): Record<string, string> | undefined {
  const changes = Object.entries(wanted).filter(([k, v]) => current?.[k] !== v);
  return changes.length === 0 ? undefined : Object.fromEntries(changes);
}

/** What one admission changes; no entries when nothing does. Throws a StagewallError for an object beyond the structural limits. */
export function mutations(review: Review, ctx: EngineContext): Mutation {
  const object: KubeObject | undefined = review.object;
  if (!object || review.operation !== 'CREATE') return NO_CHANGE;
  checkStructure(object, 'object');
  const { config, view } = ctx;

  if (object.kind === 'Namespace') {
    // The annotation names the policies the reconciler will apply: the same question as its own.
    const ns = namespaceInfo(object);
    if (scopeOf(ns.name, ns, ctx, 'default-deny').skipped) return NO_CHANGE;
    const annotations = changedEntries(object.metadata?.annotations, { [DEFAULT_DENY_ANNOTATION]: managedPolicyNames(config).join(',') });
    return annotations ? { annotations } : NO_CHANGE;
  }

  if (object.kind === 'Pod') {
    const namespace = object.metadata?.namespace ?? review.namespace ?? 'default';
    const ns = namespaceIn(view, namespace, config);
    const { skipped, pipeline } = scopeOf(namespace, ns, ctx);
    if (skipped || !pipeline) return NO_CHANGE;
    const labels = object.metadata?.labels;
    const wanted = effectivePodLabels(labels, ns, pipeline, config);
    const changed = wanted === labels ? undefined : changedEntries(labels, wanted);
    return changed ? { labels: changed } : NO_CHANGE;
  }
  return NO_CHANGE;
}
