// Views for tests: the examples' manifests, or objects given inline.
import { loadManifests } from '../../src/manifests/load.js';
import { buildStaticView } from '../../src/manifests/view.js';
import type { KubeObject } from '../../src/engine/types.js';
import { IndexedView } from '../../src/engine/view.js';
import type { NetworkPolicy } from '../../src/engine/types.js';

export function examplesView(): IndexedView {
  return buildStaticView(loadManifests(['examples/pipeline/manifests']));
}

export function viewOf(objects: readonly KubeObject[]): IndexedView {
  const view = new IndexedView();
  for (const o of objects) {
    if (o.kind === 'Namespace') view.upsertNamespace(o);
    else if (o.kind === 'NetworkPolicy') view.upsertPolicy(o as NetworkPolicy);
  }
  return view;
}
