import { strict as assert } from 'node:assert';
import type { KubeObject, Operation } from '../../../src/engine/types.js';
import { etlConfig } from '../../helpers/config.js';
import { assertFires, assertQuiet, judge, ns, viewOf } from './fixtures.js';

const config = etlConfig();
const view = viewOf();

describe('engine/rules/pipeline-unknown', () => {
  const cases: { name: string; object: KubeObject; operation?: Operation; fires: boolean; skipped?: string }[] = [
    { name: 'a pipeline label naming an undeclared pipeline fires', object: ns('ml-scratch', { pipeline: 'ml' }), fires: true },
    { name: 'the empty pipeline value names no pipeline', object: ns('ml-scratch', { pipeline: '' }), fires: true },
    { name: 'pipeline names are case-sensitive', object: ns('ml-scratch', { pipeline: 'ETL' }), fires: true },
    { name: 'an UPDATE that sets an undeclared pipeline fires', object: ns('ml-scratch', { pipeline: 'ml' }), operation: 'UPDATE', fires: true },
    { name: 'a declared pipeline does not fire', object: ns('etl-a', { pipeline: 'etl' }), fires: false },
    { name: 'a namespace without the pipeline label does not fire', object: ns('web', { labels: { team: 'web' } }), fires: false },
    {
      name: 'DELETE of a namespace is not judged',
      object: ns('ml-scratch', { pipeline: 'ml' }),
      operation: 'DELETE',
      fires: false,
      skipped: 'operation-not-judged',
    },
    { name: 'an exempt namespace is never judged', object: ns('kube-public', { pipeline: 'ml' }), fires: false, skipped: 'exempt-namespace' },
    { name: 'kube-system is never judged', object: ns('kube-system', { pipeline: 'ml' }), fires: false, skipped: 'exempt-namespace' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = judge(c.object, config, view, { operation: c.operation ?? 'CREATE' });
      if (c.fires) {
        const msg = assertFires(d, 'pipeline-unknown', 'deny', `Namespace ${c.object.metadata?.name}`);
        assert.match(msg, /Fix: use one of etl/);
        assert.equal(d.verdict, 'deny');
        assert.equal(d.ref.namespace, undefined, 'a Namespace is cluster-scoped');
      } else {
        assertQuiet(d, 'pipeline-unknown');
        assert.equal(d.verdict, 'allow');
      }
      assert.equal(d.skipped, c.skipped);
    });
  }

  it("stagewall's own namespace is never judged", () => {
    const d = judge(ns('stagewall', { pipeline: 'ml' }), config, view, { ownNamespace: 'stagewall' });
    assert.equal(d.skipped, 'exempt-namespace');
    assert.deepEqual(d.violations, []);
  });

  it('audit mode reports it as a warning', () => {
    const d = judge(ns('ml-scratch', { pipeline: 'ml' }), etlConfig({ mode: 'audit' }), view);
    assertFires(d, 'pipeline-unknown', 'warn', 'Namespace ml-scratch');
    assert.equal(d.verdict, 'warn');
  });

  it('a custom pipeline label key is the one read and named', () => {
    const custom = etlConfig({ labels: { pipeline: 'example.com/flow' } });
    const msg = assertFires(judge(ns('x', { labels: { 'example.com/flow': 'ml' } }), custom, view), 'pipeline-unknown', 'deny', 'Namespace x');
    assert.match(msg, /example\.com\/flow=ml/);
    assertQuiet(judge(ns('x', { pipeline: 'ml' }), custom, view), 'pipeline-unknown');
  });
});
