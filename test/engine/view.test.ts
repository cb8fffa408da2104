import { strict as assert } from 'node:assert';
import { StagewallError } from '../../src/errors.js';
import type { NetworkPolicy } from '../../src/engine/types.js';
import { IndexedView, namespaceInfo, syntheticNamespace } from '../../src/engine/view.js';
import { NAMESPACE_NAME_LABEL } from '../../src/shared/names.js';

const np = (namespace: string | undefined, name: string, stage?: string): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
  spec: { podSelector: stage ? { matchLabels: { 'stagewall.dev/stage': stage } } : {} },
});
const names = (view: IndexedView, namespace: string) =>
  view
    .policiesIn(namespace)
    .map((p) => p.name)
    .sort();

describe('engine/view: IndexedView policies', () => {
  it('policies are indexed by namespace: policiesIn of another namespace is empty', () => {
    const view = new IndexedView();
    view.upsertPolicy(np('etl', 'a'));
    view.upsertPolicy(np('etl', 'b'));
    view.upsertPolicy(np('web', 'a'));
    assert.deepEqual(names(view, 'etl'), ['a', 'b']);
    assert.deepEqual(names(view, 'web'), ['a']);
    assert.deepEqual(view.policiesIn('other'), []);
    assert.equal(view.policyCount, 3);
  });

  it('the same name in two namespaces is two policies', () => {
    const view = new IndexedView();
    view.upsertPolicy(np('etl', 'same'));
    view.upsertPolicy(np('web', 'same'));
    assert.equal(view.policyCount, 2);
    assert.equal(view.policiesIn('etl')[0]?.namespace, 'etl');
    assert.equal(view.policiesIn('web')[0]?.namespace, 'web');
  });

  it('upsert replaces a policy of the same namespace and name', () => {
    const view = new IndexedView();
    view.upsertPolicy(np('etl', 'a', 'extract'));
    const before = view.policiesIn('etl');
    view.upsertPolicy(np('etl', 'a', 'load'));
    const after = view.policiesIn('etl');
    assert.equal(after.length, 1);
    assert.equal(view.policyCount, 1);
    assert.equal(after[0]?.podSelector.matches({ 'stagewall.dev/stage': 'load' }), true);
    assert.equal(after[0]?.podSelector.matches({ 'stagewall.dev/stage': 'extract' }), false);
    // The earlier list is a snapshot; the new one reflects the change.
    assert.equal(before[0]?.podSelector.matches({ 'stagewall.dev/stage': 'extract' }), true);
  });

  it('upsert returns the compiled policy', () => {
    const compiled = new IndexedView().upsertPolicy(np('etl', 'a', 'load'));
    assert.equal(compiled.name, 'a');
    assert.equal(compiled.namespace, 'etl');
    assert.equal(compiled.ingress, true);
  });

  it('a policy without a namespace lands in the fallback namespace', () => {
    const view = new IndexedView();
    view.upsertPolicy(np(undefined, 'a'), 'from-request');
    view.upsertPolicy(np(undefined, 'b'));
    assert.deepEqual(names(view, 'from-request'), ['a']);
    assert.deepEqual(names(view, 'default'), ['b']);
  });

  it('delete removes only that policy', () => {
    const view = new IndexedView();
    view.upsertPolicy(np('etl', 'a'));
    view.upsertPolicy(np('etl', 'b'));
    view.upsertPolicy(np('web', 'a'));
    assert.equal(view.policiesIn('etl').length, 2); // warm the per-namespace list
    view.deletePolicy('etl', 'a');
    assert.deepEqual(names(view, 'etl'), ['b']);
    assert.deepEqual(names(view, 'web'), ['a']);
    assert.equal(view.policyCount, 2);
  });

  it('delete of an unknown policy or namespace is a no-op', () => {
    const view = new IndexedView();
    view.upsertPolicy(np('etl', 'a'));
    view.deletePolicy('etl', 'nope');
    view.deletePolicy('nowhere', 'a');
    assert.deepEqual(names(view, 'etl'), ['a']);
  });

  it('an added policy shows up after policiesIn was read (the cached list is invalidated)', () => {
    const view = new IndexedView();
    assert.deepEqual(view.policiesIn('etl'), []);
    view.upsertPolicy(np('etl', 'a'));
    assert.deepEqual(names(view, 'etl'), ['a']);
  });

  it('policiesIn returns the same list until the namespace changes', () => {
    const view = new IndexedView();
    view.upsertPolicy(np('etl', 'a'));
    view.upsertPolicy(np('web', 'a'));
    const first = view.policiesIn('etl');
    assert.equal(view.policiesIn('etl'), first);
    view.upsertPolicy(np('web', 'b'));
    assert.equal(view.policiesIn('etl'), first, 'a change elsewhere keeps the list');
    view.upsertPolicy(np('etl', 'b'));
    assert.notEqual(view.policiesIn('etl'), first);
    assert.ok(Object.isFrozen(view.policiesIn('etl')));
  });

  it('an invalid policy throws and is not stored; the previous version stays', () => {
    const view = new IndexedView();
    view.upsertPolicy(np('etl', 'a', 'load'));
    const bad: NetworkPolicy = { metadata: { name: 'a', namespace: 'etl' }, spec: { ingress: [{ from: [{ ipBlock: { cidr: 'nope' } }] }] } };
    assert.throws(
      () => view.upsertPolicy(bad),
      (err: unknown) => err instanceof StagewallError && err.code === 'CIDR_INVALID',
    );
    assert.equal(view.policiesIn('etl').length, 1);
    assert.equal(view.policiesIn('etl')[0]?.podSelector.matches({ 'stagewall.dev/stage': 'load' }), true);
  });

  it('version grows on every change, so derived results can be cached per version', () => {
    const view = new IndexedView();
    const v0 = view.version;
    view.upsertNamespace({ metadata: { name: 'etl' } });
    view.upsertPolicy(np('etl', 'a'));
    view.deletePolicy('etl', 'a');
    view.deletePolicy('etl', 'missing'); // no change, no new version
    assert.equal(view.version, v0 + 3);
  });
});

describe('engine/view: IndexedView namespaces', () => {
  const cases: { name: string; labels: Record<string, string> | undefined; want: Record<string, string> }[] = [
    { name: 'a namespace without labels gets kubernetes.io/metadata.name', labels: undefined, want: { [NAMESPACE_NAME_LABEL]: 'etl' } },
    {
      name: 'its own labels are kept beside the name label',
      labels: { 'stagewall.dev/pipeline': 'etl' },
      want: { 'stagewall.dev/pipeline': 'etl', [NAMESPACE_NAME_LABEL]: 'etl' },
    },
    {
      name: 'a wrong name label is overwritten, as the API server does',
      labels: { [NAMESPACE_NAME_LABEL]: 'spoofed' },
      want: { [NAMESPACE_NAME_LABEL]: 'etl' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const view = new IndexedView();
      view.upsertNamespace({ kind: 'Namespace', metadata: { name: 'etl', ...(c.labels ? { labels: c.labels } : {}) } });
      assert.deepEqual(view.namespace('etl')?.labels, c.want);
    });
  }

  it('annotations are kept', () => {
    const info = namespaceInfo({ metadata: { name: 'etl', annotations: { 'stagewall.dev/default-stage': 'load' } } });
    assert.deepEqual(info.annotations, { 'stagewall.dev/default-stage': 'load' });
    assert.deepEqual(namespaceInfo({ metadata: { name: 'x' } }).annotations, {});
  });

  it('namespaceInfo does not alias the object labels', () => {
    const labels: Record<string, string> = { a: 'b' };
    const info = namespaceInfo({ metadata: { name: 'etl', labels } });
    labels['a'] = 'changed';
    assert.equal(info.labels['a'], 'b');
    assert.equal(labels[NAMESPACE_NAME_LABEL], undefined, 'the input object is not mutated');
  });

  it('upsert replaces a namespace (labels removed are gone)', () => {
    const view = new IndexedView();
    view.upsertNamespace({ metadata: { name: 'etl', labels: { 'stagewall.dev/pipeline': 'etl' } } });
    view.upsertNamespace({ metadata: { name: 'etl', labels: { team: 'x' } } });
    assert.deepEqual(view.namespace('etl')?.labels, { team: 'x', [NAMESPACE_NAME_LABEL]: 'etl' });
    assert.equal(view.namespaceCount, 1);
  });

  it('ensureNamespace adds a synthetic namespace when unknown', () => {
    const view = new IndexedView();
    view.ensureNamespace('warehouse');
    assert.deepEqual(view.namespace('warehouse'), syntheticNamespace('warehouse'));
    assert.deepEqual(view.namespace('warehouse')?.labels, { [NAMESPACE_NAME_LABEL]: 'warehouse' });
  });

  it("ensureNamespace doesn't overwrite a real one", () => {
    const view = new IndexedView();
    view.upsertNamespace({ metadata: { name: 'etl', labels: { 'stagewall.dev/pipeline': 'etl' }, annotations: { a: 'b' } } });
    view.ensureNamespace('etl');
    assert.equal(view.namespace('etl')?.labels['stagewall.dev/pipeline'], 'etl');
    assert.deepEqual(view.namespace('etl')?.annotations, { a: 'b' });
  });

  it('a real namespace replaces a synthetic one', () => {
    const view = new IndexedView();
    view.ensureNamespace('etl');
    view.upsertNamespace({ metadata: { name: 'etl', labels: { 'stagewall.dev/pipeline': 'etl' } } });
    assert.equal(view.namespace('etl')?.labels['stagewall.dev/pipeline'], 'etl');
  });

  it('deleteNamespace removes it; namespaces() lists the rest', () => {
    const view = new IndexedView();
    view.upsertNamespace({ metadata: { name: 'a' } });
    view.upsertNamespace({ metadata: { name: 'b' } });
    view.deleteNamespace('a');
    assert.equal(view.namespace('a'), undefined);
    assert.deepEqual(
      [...view.namespaces()].map((n) => n.name),
      ['b'],
    );
    assert.equal(view.namespaceCount, 1);
  });

  it('deleting a namespace keeps its policies (they go with their own delete events)', () => {
    const view = new IndexedView();
    view.upsertNamespace({ metadata: { name: 'etl' } });
    view.upsertPolicy(np('etl', 'a'));
    view.deleteNamespace('etl');
    assert.deepEqual(names(view, 'etl'), ['a']);
  });
});
