import { strict as assert } from 'node:assert';
import type { KubeObject } from '../../../src/engine/types.js';
import { etlConfig } from '../../helpers/config.js';
import { assertFires, assertQuiet, judge, ns, viewOf } from './fixtures.js';

describe('engine/rules/pipeline-label-removed', () => {
  const config = etlConfig({
    pipelines: [
      { name: 'etl', stages: [{ name: 'a' }] },
      { name: 'ml', stages: [{ name: 'b' }] },
    ],
  });
  const view = viewOf(ns('etl', { pipeline: 'etl' }));
  const before = ns('etl', { pipeline: 'etl' });
  const cases: { name: string; object: KubeObject; old: KubeObject; user?: string; fires: RegExp | undefined }[] = [
    { name: 'removing the pipeline label fires', object: ns('etl'), old: before, fires: /removes label stagewall\.dev\/pipeline=etl/ },
    {
      name: 'moving the namespace to another pipeline fires',
      object: ns('etl', { pipeline: 'ml' }),
      old: before,
      fires: /changes label stagewall\.dev\/pipeline from etl to ml/,
    },
    {
      name: 'keeping the label (other changes) does not fire',
      object: ns('etl', { pipeline: 'etl', labels: { team: 'data' } }),
      old: before,
      fires: undefined,
    },
    { name: 'adding the label does not fire', object: ns('etl', { pipeline: 'etl' }), old: ns('etl'), fires: undefined },
    {
      name: 'a label naming no declared pipeline is not protected (retire a pipeline by removing it from the config first)',
      object: ns('etl'),
      old: ns('etl', { pipeline: 'gone' }),
      fires: undefined,
    },
    {
      name: "stagewall's own service account may change it",
      object: ns('etl'),
      old: before,
      user: 'system:serviceaccount:stagewall-system:stagewall',
      fires: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = judge(c.object, config, view, { operation: 'UPDATE', oldObject: c.old, user: { username: c.user ?? 'alice' } });
      if (c.fires) assert.match(assertFires(d, 'pipeline-label-removed', 'deny', 'Namespace etl'), c.fires);
      else assertQuiet(d, 'pipeline-label-removed');
    });
  }
  it('kube-system is never judged, labelled or not', () => {
    const d = judge(ns('kube-system'), config, view, { operation: 'UPDATE', oldObject: ns('kube-system', { pipeline: 'etl' }), user: { username: 'alice' } });
    assert.equal(d.skipped, 'exempt-namespace');
  });
});
