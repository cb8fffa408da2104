// The route table of evaluate: kind, then operation, decides what is judged; the rows pin the
// skip reason and the mode of every route, including the ones no rule test reaches.
import { strict as assert } from 'node:assert';
import type { StagewallConfig } from '../../src/config/model.js';
import type { KubeObject, Operation } from '../../src/engine/types.js';
import { makeConfig } from '../helpers/config.js';
import { judge, netpol, ns, pod, viewOf, workload } from './rules/fixtures.js';

// Global audit, the etl pipeline enforce: the mode tells which of the two a route used.
const config: StagewallConfig = makeConfig({ mode: 'audit', pipelines: [{ name: 'etl', mode: 'enforce', stages: [{ name: 'extract' }] }] });
const view = viewOf(ns('etl', { pipeline: 'etl' }), ns('web'), ns('kube-system'));
const configMap = (namespace: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace } });
const policy = (namespace: string) => netpol(namespace, 'np', { podSelector: {}, policyTypes: ['Ingress'] });

describe('engine/evaluate: routes by kind and operation', () => {
  const rows: { name: string; object: KubeObject; operation: Operation; skipped: string | undefined; mode: string }[] = [
    {
      name: 'a Namespace CREATE is judged in its pipeline mode',
      object: ns('etl', { pipeline: 'etl' }),
      operation: 'CREATE',
      skipped: undefined,
      mode: 'enforce',
    },
    {
      name: 'a Namespace DELETE is not judged, in the global mode',
      object: ns('etl', { pipeline: 'etl' }),
      operation: 'DELETE',
      skipped: 'operation-not-judged',
      mode: 'audit',
    },
    {
      name: 'a Namespace CONNECT is not judged, in the global mode',
      object: ns('etl', { pipeline: 'etl' }),
      operation: 'CONNECT',
      skipped: 'operation-not-judged',
      mode: 'audit',
    },
    { name: 'a NetworkPolicy CREATE outside a pipeline is not judged', object: policy('web'), operation: 'CREATE', skipped: 'not-a-pipeline', mode: 'audit' },
    {
      name: 'a NetworkPolicy DELETE outside a pipeline is judged as a change (managed policies are protected everywhere)',
      object: policy('web'),
      operation: 'DELETE',
      skipped: undefined,
      mode: 'audit',
    },
    {
      name: 'a NetworkPolicy CONNECT in a pipeline is not judged',
      object: policy('etl'),
      operation: 'CONNECT',
      skipped: 'operation-not-judged',
      mode: 'enforce',
    },
    {
      name: 'a NetworkPolicy CONNECT outside a pipeline: not a pipeline first',
      object: policy('web'),
      operation: 'CONNECT',
      skipped: 'not-a-pipeline',
      mode: 'audit',
    },
    { name: 'a Pod DELETE in a pipeline is not judged', object: pod('etl', 'p'), operation: 'DELETE', skipped: 'operation-not-judged', mode: 'enforce' },
    { name: 'a Pod DELETE outside a pipeline: not a pipeline first', object: pod('web', 'p'), operation: 'DELETE', skipped: 'not-a-pipeline', mode: 'audit' },
    {
      name: 'a Deployment CONNECT in a pipeline is not judged',
      object: workload('Deployment', 'etl', 'w'),
      operation: 'CONNECT',
      skipped: 'operation-not-judged',
      mode: 'enforce',
    },
    {
      name: 'a kind stagewall does not judge, in a pipeline namespace: its mode',
      object: configMap('etl'),
      operation: 'CREATE',
      skipped: 'kind-not-judged',
      mode: 'enforce',
    },
    {
      name: 'a kind stagewall does not judge, elsewhere: the global mode',
      object: configMap('web'),
      operation: 'CREATE',
      skipped: 'kind-not-judged',
      mode: 'audit',
    },
    { name: 'kube-system comes before any route', object: pod('kube-system', 'p'), operation: 'CREATE', skipped: 'exempt-namespace', mode: 'audit' },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const d = judge(r.object, config, view, { operation: r.operation });
      assert.deepEqual({ skipped: d.skipped, mode: d.mode }, { skipped: r.skipped, mode: r.mode });
    });
  }
});
