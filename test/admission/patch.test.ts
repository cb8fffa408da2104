import { strict as assert } from 'node:assert';
import type { StagewallConfig } from '../../src/config/model.js';
import { escapePointerToken, mutationPatch, type JsonPatchOperation } from '../../src/admission/patch.js';
import { DEFAULT_DENY_ANNOTATION } from '../../src/shared/names.js';
import type { KubeObject, Operation } from '../../src/engine/types.js';
import { etlConfig } from '../helpers/config.js';
import { DEFAULT_STAGE, ns, PIPELINE, pod, STAGE, viewOf, workload } from '../engine/rules/fixtures.js';

/** RFC 6901 pointer tokens of a path. */
function tokens(path: string): string[] {
  assert.ok(path.startsWith('/'), `a JSON pointer starts with /: ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A tiny RFC 6902 applier for `add` into objects: the parent must exist, as the spec demands. */
function applyPatch<T>(document: T, patch: readonly JsonPatchOperation[]): T {
  const doc = structuredClone(document) as unknown as Record<string, unknown>;
  for (const op of patch) {
    assert.equal(op.op, 'add', 'stagewall only adds');
    const path = tokens(op.path);
    const last = path.pop()!;
    let parent: unknown = doc;
    for (const t of path) {
      assert.ok(typeof parent === 'object' && parent !== null && t in parent, `parent of ${op.path} must exist (missing "${t}")`);
      parent = (parent as Record<string, unknown>)[t];
    }
    assert.ok(typeof parent === 'object' && parent !== null && !Array.isArray(parent), `parent of ${op.path} must be an object`);
    (parent as Record<string, unknown>)[last] = structuredClone((op as { value: unknown }).value);
  }
  return doc as unknown as T;
}

const config = etlConfig();
const view = viewOf(
  ns('etl', { pipeline: 'etl' }),
  ns('etl-load', { pipeline: 'etl', annotations: { [DEFAULT_STAGE]: 'load' } }),
  ns('web', { annotations: { [DEFAULT_STAGE]: 'load' } }),
  ns('ml', { pipeline: 'ml' }),
  ns('kube-public', { pipeline: 'etl' }),
  ns('kube-system', { pipeline: 'etl' }),
  ns('stagewall', { pipeline: 'etl' }),
);

function patch(object: KubeObject, opts: { cfg?: StagewallConfig; operation?: Operation; ownNamespace?: string } = {}): JsonPatchOperation[] {
  return mutationPatch({ operation: opts.operation ?? 'CREATE', object }, { config: opts.cfg ?? config, view, ownNamespace: opts.ownNamespace });
}

describe('admission/patch: the engine mutations rendered as JSON Patch', () => {
  it('escapePointerToken escapes ~ before / (RFC 6901)', () => {
    assert.equal(escapePointerToken('stagewall.dev/pipeline'), 'stagewall.dev~1pipeline');
    assert.equal(escapePointerToken('a~/b'), 'a~0~1b');
  });

  describe('pods', () => {
    const cases: { name: string; object: KubeObject; patch: JsonPatchOperation[]; labels?: Record<string, string> }[] = [
      {
        name: 'a pod in a pipeline namespace gets the pipeline label, "/" escaped as ~1',
        object: pod('etl', 'p', { labels: { [STAGE]: 'extract' } }),
        patch: [{ op: 'add', path: '/metadata/labels/stagewall.dev~1pipeline', value: 'etl' }],
        labels: { [STAGE]: 'extract', [PIPELINE]: 'etl' },
      },
      {
        name: 'a pod without a labels map gets the map added whole',
        object: pod('etl', 'p'),
        patch: [{ op: 'add', path: '/metadata/labels', value: { [PIPELINE]: 'etl' } }],
        labels: { [PIPELINE]: 'etl' },
      },
      {
        name: 'the default-stage annotation fills a missing stage label',
        object: pod('etl-load', 'p', { labels: { app: 'x' } }),
        patch: [
          { op: 'add', path: '/metadata/labels/stagewall.dev~1pipeline', value: 'etl' },
          { op: 'add', path: '/metadata/labels/stagewall.dev~1stage', value: 'load' },
        ],
        labels: { app: 'x', [PIPELINE]: 'etl', [STAGE]: 'load' },
      },
      {
        name: 'the default-stage annotation and no labels map: one add of the whole map',
        object: pod('etl-load', 'p'),
        patch: [{ op: 'add', path: '/metadata/labels', value: { [PIPELINE]: 'etl', [STAGE]: 'load' } }],
        labels: { [PIPELINE]: 'etl', [STAGE]: 'load' },
      },
      {
        name: 'an explicit stage label is never overwritten by the default-stage',
        object: pod('etl-load', 'p', { labels: { [STAGE]: 'extract' } }),
        patch: [{ op: 'add', path: '/metadata/labels/stagewall.dev~1pipeline', value: 'etl' }],
        labels: { [STAGE]: 'extract', [PIPELINE]: 'etl' },
      },
      {
        name: 'a wrong pipeline label is corrected to the namespace pipeline',
        object: pod('etl', 'p', { labels: { [PIPELINE]: 'ml', [STAGE]: 'extract' } }),
        patch: [{ op: 'add', path: '/metadata/labels/stagewall.dev~1pipeline', value: 'etl' }],
        labels: { [PIPELINE]: 'etl', [STAGE]: 'extract' },
      },
      {
        name: 'a pod that already carries the labels gets no patch',
        object: pod('etl', 'p', { labels: { [PIPELINE]: 'etl', [STAGE]: 'extract' } }),
        patch: [],
      },
      { name: 'no patch in a non-pipeline namespace (even with a default-stage annotation)', object: pod('web', 'p'), patch: [] },
      { name: 'no patch in a namespace naming an undeclared pipeline', object: pod('ml', 'p'), patch: [] },
      { name: 'no patch in a namespace the view does not know', object: pod('nowhere', 'p'), patch: [] },
      { name: 'no patch in an exempt namespace', object: pod('kube-public', 'p'), patch: [] },
      { name: 'no patch in kube-system', object: pod('kube-system', 'p'), patch: [] },
      { name: 'workloads are not mutated (their pods are, at creation)', object: workload('Deployment', 'etl', 'w'), patch: [] },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const got = patch(c.object);
        assert.deepEqual(got, c.patch);
        if (c.labels) assert.deepEqual(applyPatch(c.object, got).metadata?.labels, c.labels);
      });
    }

    it("no patch in stagewall's own namespace", () => {
      assert.deepEqual(patch(pod('stagewall', 'p'), { ownNamespace: 'stagewall' }), []);
      assert.notDeepEqual(patch(pod('stagewall', 'p')), [], "the same pod is patched when the namespace is not stagewall's");
    });
    it('no patch when the pipeline is off', () => {
      assert.deepEqual(patch(pod('etl', 'p'), { cfg: etlConfig({ mode: 'off' }) }), []);
      assert.deepEqual(patch(pod('etl', 'p'), { cfg: etlConfig({ pipelines: [{ name: 'etl', mode: 'off', stages: [{ name: 'a' }] }] }) }), []);
    });
    it('audit mode still patches (the labels are harmless and make policies select the pod)', () => {
      assert.equal(patch(pod('etl', 'p'), { cfg: etlConfig({ mode: 'audit' }) }).length, 1);
    });
    it('UPDATE is not patched', () => {
      assert.deepEqual(patch(pod('etl', 'p'), { operation: 'UPDATE' }), []);
    });
    it('the request namespace is used when the pod names none', () => {
      const object = pod('etl', 'p');
      delete object.metadata!.namespace;
      const got = mutationPatch({ operation: 'CREATE', object, namespace: 'etl' }, { config, view });
      assert.deepEqual(applyPatch(object, got).metadata?.labels, { [PIPELINE]: 'etl' });
    });
    it('custom label keys are escaped the same way', () => {
      const cfg = etlConfig({ labels: { pipeline: 'example.com/flow', stage: 'example.com/step' } });
      const v = viewOf(ns('etl', { labels: { 'example.com/flow': 'etl' }, annotations: { [DEFAULT_STAGE]: 'load' } }));
      const object = pod('etl', 'p', { labels: {} });
      const got = mutationPatch({ operation: 'CREATE', object }, { config: cfg, view: v });
      assert.deepEqual(
        got.map((o) => o.path),
        ['/metadata/labels/example.com~1flow', '/metadata/labels/example.com~1step'],
      );
      assert.deepEqual(applyPatch(object, got).metadata?.labels, { 'example.com/flow': 'etl', 'example.com/step': 'load' });
    });
  });

  describe('namespaces', () => {
    const both = 'stagewall-default-deny,stagewall-allow-dns';
    const cases: { name: string; object: KubeObject; cfg?: StagewallConfig; annotations?: Record<string, string> }[] = [
      {
        name: 'a new pipeline Namespace gets the default-deny annotation naming the managed policies',
        object: ns('etl-new', { pipeline: 'etl' }),
        annotations: { [DEFAULT_DENY_ANNOTATION]: both },
      },
      {
        name: 'existing annotations are kept',
        object: ns('etl-new', { pipeline: 'etl', annotations: { [DEFAULT_STAGE]: 'load' } }),
        annotations: { [DEFAULT_STAGE]: 'load', [DEFAULT_DENY_ANNOTATION]: both },
      },
      {
        name: 'without allowDNS only the default-deny is named',
        object: ns('etl-new', { pipeline: 'etl' }),
        cfg: etlConfig({ defaultDeny: { allowDNS: false } }),
        annotations: { [DEFAULT_DENY_ANNOTATION]: 'stagewall-default-deny' },
      },
      { name: 'nothing when defaultDeny.enabled is false', object: ns('etl-new', { pipeline: 'etl' }), cfg: etlConfig({ defaultDeny: { enabled: false } }) },
      { name: 'nothing for a namespace without the pipeline label', object: ns('web-new') },
      { name: 'nothing for a namespace naming an undeclared pipeline', object: ns('ml-new', { pipeline: 'ml' }) },
      { name: 'nothing for an exempt namespace', object: ns('kube-public', { pipeline: 'etl' }) },
      { name: 'nothing when the pipeline is off', object: ns('etl-new', { pipeline: 'etl' }), cfg: etlConfig({ mode: 'off' }) },
      { name: 'nothing when the annotation is already right', object: ns('etl-new', { pipeline: 'etl', annotations: { [DEFAULT_DENY_ANNOTATION]: both } }) },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const got = patch(c.object, c.cfg ? { cfg: c.cfg } : {});
        if (!c.annotations) {
          assert.deepEqual(got, []);
          return;
        }
        assert.equal(got.length, 1);
        assert.ok(got[0]!.path.startsWith('/metadata/annotations'), got[0]!.path);
        assert.deepEqual(applyPatch(c.object, got).metadata?.annotations, c.annotations);
        assert.deepEqual(applyPatch(c.object, got).metadata?.labels, c.object.metadata?.labels, 'labels untouched');
      });
    }

    it('the annotation key is escaped when added to an existing map', () => {
      const got = patch(ns('etl-new', { pipeline: 'etl', annotations: {} }));
      assert.deepEqual(got, [{ op: 'add', path: '/metadata/annotations/stagewall.dev~1default-deny', value: 'stagewall-default-deny,stagewall-allow-dns' }]);
    });
    it('an UPDATE of a Namespace is not patched', () => {
      assert.deepEqual(patch(ns('etl-new', { pipeline: 'etl' }), { operation: 'UPDATE' }), []);
    });
  });
});
