// A static view made of manifests: what `stagewall check` and `serve --view` judge against.
import { isStagewallError, StagewallError } from '../errors.js';
import type { NetworkPolicy } from '../engine/types.js';
import { IndexedView } from '../engine/view.js';
import type { LoadedObject } from './load.js';

/**
 * Namespaces come from Namespace manifests; a namespace that objects only mention is
 * synthesized with its `kubernetes.io/metadata.name` label, as the API server would label it.
 */
export function buildStaticView(objects: readonly LoadedObject[], defaultNamespace = 'default'): IndexedView {
  const view = new IndexedView();
  for (const { object } of objects) {
    if (object.kind === 'Namespace') view.upsertNamespace(object);
  }
  for (const { object, source, judged } of objects) {
    if (!judged || object.kind === 'Namespace') continue;
    view.ensureNamespace(object.metadata?.namespace ?? defaultNamespace);
    if (object.kind !== 'NetworkPolicy') continue;
    try {
      view.upsertPolicy(object as NetworkPolicy, defaultNamespace);
    } catch (err) {
      if (!isStagewallError(err)) throw err;
      throw new StagewallError(err.code, `${source.file}:${source.line}: ${err.message}`, err.details);
    }
  }
  return view;
}
