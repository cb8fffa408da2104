import { strict as assert } from 'node:assert';
import { managedPolicies } from '../../../src/engine/generate.js';
import type { KubeObject } from '../../../src/engine/types.js';
import { etlConfig, makeConfig } from '../../helpers/config.js';
import { assertFires, assertQuiet, DEFAULT_STAGE, judge, ns, pod, PIPELINE, STAGE, viewOf, workload, WORKLOAD_KINDS, type PodOptions } from './fixtures.js';

const config = etlConfig();
// Pipeline namespaces protected by the managed default-deny, so coverage stays quiet here.
const view = viewOf(
  ns('etl', { pipeline: 'etl' }),
  ns('etl-load', { pipeline: 'etl', annotations: { [DEFAULT_STAGE]: 'load' } }),
  ns('etl-typo', { pipeline: 'etl', annotations: { [DEFAULT_STAGE]: 'lod' } }),
  ns('ml', { pipeline: 'ml' }),
  ns('web'),
  ...managedPolicies('etl', config),
  ...managedPolicies('etl-load', config),
  ...managedPolicies('etl-typo', config),
);

describe('engine/rules/stage-labels', () => {
  describe('stage-label-missing', () => {
    const cases: { name: string; object: KubeObject; fires: boolean; names: string }[] = [
      { name: 'a pipeline pod without the stage label fires', object: pod('etl', 'p'), fires: true, names: 'Pod etl/p' },
      {
        name: 'other labels do not stand in for the stage label',
        object: pod('etl', 'p', { labels: { app: 'x' } }),
        fires: true,
        names: 'Pod etl/p',
      },
      { name: 'a pod with a declared stage label does not fire', object: pod('etl', 'p', { labels: { [STAGE]: 'extract' } }), fires: false, names: '' },
      {
        name: 'the namespace annotation stagewall.dev/default-stage fills a missing stage',
        object: pod('etl-load', 'p'),
        fires: false,
        names: '',
      },
      {
        name: 'the empty value is a present stage label (then stage-unknown judges it)',
        object: pod('etl', 'p', { labels: { [STAGE]: '' } }),
        fires: false,
        names: '',
      },
      { name: 'a pod of a non-pipeline namespace is not judged', object: pod('web', 'p'), fires: false, names: '' },
      { name: 'a pod of a namespace naming an undeclared pipeline is not judged', object: pod('ml', 'p'), fires: false, names: '' },
      { name: 'a pod of a namespace unknown to the view is not judged', object: pod('nowhere', 'p'), fires: false, names: '' },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const d = judge(c.object, config, view);
        if (c.fires) {
          const msg = assertFires(d, 'stage-label-missing', 'deny', c.names);
          assert.match(msg, /extract, transform, load/, 'the fix lists the stages of the pipeline');
          assert.match(msg, /stagewall\.dev\/default-stage/, 'the fix mentions the namespace annotation');
          assert.equal(d.verdict, 'deny');
        } else {
          assertQuiet(d, 'stage-label-missing');
        }
      });
    }

    it('a custom stage label key (labels.stage) is the one required and named', () => {
      const custom = etlConfig({ labels: { stage: 'example.com/step' } });
      const v = viewOf(ns('etl', { pipeline: 'etl' }), ...managedPolicies('etl', custom));
      const msg = assertFires(judge(pod('etl', 'p', { labels: { [STAGE]: 'extract' } }), custom, v), 'stage-label-missing', 'deny', 'Pod etl/p');
      assert.match(msg, /example\.com\/step/);
      assertQuiet(judge(pod('etl', 'p', { labels: { 'example.com/step': 'extract' } }), custom, v), 'stage-label-missing');
    });
  });

  describe('stage-unknown', () => {
    const cases: { name: string; object: KubeObject; fires: boolean; names: string }[] = [
      {
        name: 'a stage label naming no stage of the pipeline fires',
        object: pod('etl', 'p', { labels: { [STAGE]: 'transfrom' } }),
        fires: true,
        names: 'Pod etl/p',
      },
      { name: 'the empty stage value is no stage', object: pod('etl', 'p', { labels: { [STAGE]: '' } }), fires: true, names: 'Pod etl/p' },
      {
        name: 'a default-stage annotation naming no stage fires too',
        object: pod('etl-typo', 'p'),
        fires: true,
        names: 'Pod etl-typo/p',
      },
      { name: 'a declared stage does not fire', object: pod('etl', 'p', { labels: { [STAGE]: 'load' } }), fires: false, names: '' },
      { name: 'a missing label is stage-label-missing, not stage-unknown', object: pod('etl', 'p'), fires: false, names: '' },
      {
        name: 'an explicit stage label wins over the namespace default-stage',
        object: pod('etl-typo', 'p', { labels: { [STAGE]: 'transform' } }),
        fires: false,
        names: '',
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const d = judge(c.object, config, view);
        if (c.fires) {
          const msg = assertFires(d, 'stage-unknown', 'deny', c.names);
          assert.match(msg, /extract, transform, load/);
        } else {
          assertQuiet(d, 'stage-unknown');
        }
      });
    }

    it('a bad default-stage is blamed on the namespace annotation, not on a pod label it does not have', () => {
      const msg = assertFires(judge(pod('etl-typo', 'p'), config, view), 'stage-unknown', 'deny', 'Pod etl-typo/p');
      assert.match(msg, /has no label stagewall\.dev\/stage, and the stagewall\.dev\/default-stage annotation of namespace etl-typo gives it lod/);
      assert.match(msg, /Fix: set the annotation to one of extract, transform, load/);
      const labelled = assertFires(judge(pod('etl', 'p', { labels: { [STAGE]: 'lod' } }), config, view), 'stage-unknown', 'deny', 'Pod etl/p');
      assert.match(labelled, /has stagewall\.dev\/stage=lod, which is not a stage/);
    });

    it('a stage of another pipeline is unknown in this one', () => {
      const two = makeConfig({
        pipelines: [
          { name: 'etl', stages: [{ name: 'extract' }, { name: 'load' }] },
          { name: 'report', stages: [{ name: 'render' }] },
        ],
      });
      const v = viewOf(ns('etl', { pipeline: 'etl' }), ...managedPolicies('etl', two));
      assertFires(judge(pod('etl', 'p', { labels: { [STAGE]: 'render' } }), two, v), 'stage-unknown', 'deny', 'Pod etl/p');
    });
  });

  describe('host-network', () => {
    const cases: { name: string; opts: PodOptions; fires: boolean }[] = [
      { name: 'hostNetwork: true in a pipeline namespace fires', opts: { labels: { [STAGE]: 'load' }, hostNetwork: true }, fires: true },
      { name: 'hostNetwork: false does not fire', opts: { labels: { [STAGE]: 'load' }, hostNetwork: false }, fires: false },
      { name: 'no hostNetwork field does not fire', opts: { labels: { [STAGE]: 'load' } }, fires: false },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const d = judge(pod('etl', 'p', c.opts), config, view);
        if (c.fires) assertFires(d, 'host-network', 'deny', 'Pod etl/p');
        else assertQuiet(d, 'host-network');
      });
    }

    it('hostNetwork outside pipeline namespaces is not judged', () => {
      const d = judge(pod('web', 'p', { hostNetwork: true }), config, view);
      assert.equal(d.verdict, 'allow');
      assert.equal(d.skipped, 'not-a-pipeline');
    });
  });

  describe('workload templates are judged like pods', () => {
    for (const kind of WORKLOAD_KINDS) {
      it(`${kind}: a template without stage label fires stage-label-missing, naming the template`, () => {
        const d = judge(workload(kind, 'etl', 'w'), config, view);
        assertFires(d, 'stage-label-missing', 'deny', `${kind} etl/w (pod template)`);
      });
      it(`${kind}: a template with a typo in the stage fires stage-unknown`, () => {
        assertFires(judge(workload(kind, 'etl', 'w', { labels: { [STAGE]: 'lod' } }), config, view), 'stage-unknown', 'deny', `${kind} etl/w (pod template)`);
      });
      it(`${kind}: a template with hostNetwork fires host-network`, () => {
        assertFires(
          judge(workload(kind, 'etl', 'w', { labels: { [STAGE]: 'load' }, hostNetwork: true }), config, view),
          'host-network',
          'deny',
          `${kind} etl/w (pod template)`,
        );
      });
      it(`${kind}: a good template is allowed`, () => {
        const d = judge(workload(kind, 'etl', 'w', { labels: { [STAGE]: 'load' } }), config, view);
        assert.deepEqual(d.violations, []);
        assert.equal(d.verdict, 'allow');
        assert.equal(d.skipped, undefined, 'the template was judged, not skipped');
      });
      it(`${kind}: the workload's own labels do not count, only the template's`, () => {
        const object = workload(kind, 'etl', 'w');
        object.metadata = { ...object.metadata, labels: { [STAGE]: 'load' } };
        assertFires(judge(object, config, view), 'stage-label-missing', 'deny', `${kind} etl/w (pod template)`);
      });
    }

    it('a workload without a pod template is not judged', () => {
      const d = judge({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'etl' }, spec: {} }, config, view);
      assert.equal(d.skipped, 'kind-not-judged');
      assert.equal(d.verdict, 'allow');
    });
  });

  describe('pipeline-label-mismatch', () => {
    const labelled = (labels: Record<string, string>) => pod('etl', 'p', { labels: { [STAGE]: 'extract', ...labels } });
    const stored = labelled({ [PIPELINE]: 'etl' });
    const cases: { name: string; object: KubeObject; operation: 'CREATE' | 'UPDATE'; fires: RegExp | undefined }[] = [
      {
        name: 'an UPDATE that changes the pipeline label fires',
        object: labelled({ [PIPELINE]: 'other' }),
        operation: 'UPDATE',
        fires: /sets stagewall\.dev\/pipeline=other, but namespace etl belongs to pipeline etl/,
      },
      { name: 'an UPDATE that removes the pipeline label fires', object: labelled({}), operation: 'UPDATE', fires: /removes label stagewall\.dev\/pipeline/ },
      {
        name: 'an UPDATE that keeps the pipeline label does not fire',
        object: labelled({ [PIPELINE]: 'etl', app: 'new' }),
        operation: 'UPDATE',
        fires: undefined,
      },
      {
        name: 'a CREATE with a wrong pipeline label does not fire: the mutation overwrites it',
        object: labelled({ [PIPELINE]: 'other' }),
        operation: 'CREATE',
        fires: undefined,
      },
      { name: 'a CREATE without the label does not fire: the mutation adds it', object: labelled({}), operation: 'CREATE', fires: undefined },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const d = judge(c.object, config, view, { operation: c.operation, oldObject: stored });
        if (c.fires) assert.match(assertFires(d, 'pipeline-label-mismatch', 'deny', 'Pod etl/p'), c.fires);
        else assertQuiet(d, 'pipeline-label-mismatch');
      });
    }
    it('a workload template is judged as the pods it will create, which the mutation labels', () => {
      assertQuiet(judge(workload('Deployment', 'etl', 'w'), config, view, { operation: 'UPDATE' }), 'pipeline-label-mismatch');
    });
  });
});
