// Mutations (SPEC §4) as RFC 6902 JSON Patch operations, computed by the engine so that the
// webhook only serialises them.
import { DEFAULT_DENY_ANNOTATION, managedPolicyNames } from '../shared/names.js';
import type { EngineContext, Review } from './evaluate.js';
import { checkStructure } from './limits.js';
import { namespaceIn, scopeOf } from './scope.js';
import { effectivePodLabels } from './subjects.js';
import type { KubeObject } from './types.js';
import { namespaceInfo } from './view.js';

export type JsonPatchOperation =
  | { readonly op: 'add' | 'replace'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

/** RFC 6901: `~` becomes `~0` and `/` becomes `~1` inside one reference token. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function setMapEntries(
  current: Record<string, string> | undefined,
  pointer: string,
  wanted: Readonly<Record<string, string>>,
): JsonPatchOperation[] {
  const changes = Object.entries(wanted).filter(([k, v]) => current?.[k] !== v);
  if (changes.length === 0) return [];
  if (current === undefined) return [{ op: 'add', path: pointer, value: Object.fromEntries(changes) }];
  return changes.map(([k, v]) => ({ op: 'add', path: `${pointer}/${escapePointerToken(k)}`, value: v }));
}

/** The patch for one admission; empty when nothing changes. Throws a StagewallError for an object beyond the structural limits. */
export function mutations(review: Review, ctx: EngineContext): JsonPatchOperation[] {
  const object: KubeObject | undefined = review.object;
  if (!object || review.operation !== 'CREATE') return [];
  checkStructure(object, 'object');
  const { config, view } = ctx;

  if (object.kind === 'Namespace') {
    // The annotation names the policies the reconciler will apply: the same question as its own.
    const ns = namespaceInfo(object);
    if (scopeOf(ns.name, ns, ctx, 'default-deny').skipped) return [];
    return setMapEntries(object.metadata?.annotations, '/metadata/annotations', {
      [DEFAULT_DENY_ANNOTATION]: managedPolicyNames(config).join(','),
    });
  }

  if (object.kind === 'Pod') {
    const namespace = object.metadata?.namespace ?? review.namespace ?? 'default';
    const ns = namespaceIn(view, namespace, config);
    const { skipped, pipeline } = scopeOf(namespace, ns, ctx);
    if (skipped || !pipeline) return [];
    const labels = object.metadata?.labels;
    const wanted = effectivePodLabels(labels, ns, pipeline, config);
    return wanted === labels ? [] : setMapEntries(labels, '/metadata/labels', wanted);
  }
  return [];
}
