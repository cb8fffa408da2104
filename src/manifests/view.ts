// A static view made of manifests: what `stagewall check` and `serve --view` judge against,
// optionally on top of a snapshot of a live cluster (`check --cluster`).
import { isStagewallError, StagewallError } from '../errors.js';
import { IndexedView, inferredNamespace, type KubeObject, type NetworkPolicy, workloadsOf } from '../engine/index.js';
import type { StagewallConfig } from '../config/model.js';
import type { LoadedObject } from './load.js';

/**
 * Namespaces come from Namespace manifests. A namespace that objects only mention is the engine's
 * inferred namespace (`inferredNamespace`): its `kubernetes.io/metadata.name` label, plus the
 * pipeline label when the config places a pipeline's stages there, as the webhook infers it for a
 * namespace its view lacks. A repository that keeps its Namespace objects elsewhere must not make
 * `check` judge nothing.
 *
 * `live` (Namespaces and NetworkPolicies read from a cluster) goes in first; a manifest then
 * replaces the live object of the same kind, namespace and name, as `kubectl apply` would.
 */
export function buildStaticView(
  objects: readonly LoadedObject[],
  defaultNamespace = 'default',
  config?: StagewallConfig,
  live: readonly KubeObject[] = [],
): IndexedView {
  const view = new IndexedView();
  for (const object of live) {
    if (object.kind === 'Namespace') view.upsertNamespace(object);
    if (object.kind !== 'NetworkPolicy') continue;
    try {
      view.upsertPolicy(object as NetworkPolicy);
    } catch (err) {
      if (!isStagewallError(err)) throw err;
      const { namespace, name } = object.metadata ?? {};
      throw new StagewallError(err.code, `NetworkPolicy ${namespace}/${name} in the cluster: ${err.message}`, err.details);
    }
  }
  for (const { object } of objects) {
    if (object.kind === 'Namespace') view.upsertNamespace(object);
  }
  const mention = (name: string) => view.ensureNamespace(name, config ? inferredNamespace(name, config) : undefined);
  for (const { object, source, judged } of objects) {
    if (!judged || object.kind === 'Namespace') continue;
    mention(object.metadata?.namespace ?? defaultNamespace);
    if (object.kind !== 'NetworkPolicy') continue;
    try {
      view.upsertPolicy(object as NetworkPolicy, defaultNamespace);
    } catch (err) {
      if (!isStagewallError(err)) throw err;
      throw new StagewallError(err.code, `${source.file}:${source.line}: ${err.message}`, err.details);
    }
  }
  // Last, so that a pipeline workload takes the labels stagewall's mutation gives it in its namespace.
  view.setWorkloads(
    workloadsOf(
      objects.map((o) => o.object),
      { defaultNamespace, config, view },
    ),
  );
  return view;
}
