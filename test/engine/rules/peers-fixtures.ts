// The config, view and table runner the peer-rule tests share (ingress/egress -open, -flow, -external).
import { strict as assert } from 'node:assert';
import type { StagewallConfig } from '../../../src/config/model.js';
import type { LabelSelector, NetworkPolicyPeer, NetworkPolicySpec } from '../../../src/engine/types.js';
import { makeConfig } from '../../helpers/config.js';
import { assertFires, judge, NAME, netpol, ns, PIPELINE, STAGE, viewOf } from './fixtures.js';

export function config(extra: Record<string, unknown> = {}): StagewallConfig {
  return makeConfig({
    pipelines: [
      {
        name: 'etl',
        stages: [
          { name: 'extract', egressExternal: ['203.0.113.0/24', '2001:db8:1::/48'] },
          { name: 'transform', ingressExternal: ['198.51.100.0/24'] },
          { name: 'load', egressNamespaces: ['warehouse'], ingressNamespaces: ['monitoring'] },
        ],
      },
      // A cross-pipeline edge, declared on the receiving end as pipeline/stage.
      { name: 'report', stages: [{ name: 'collect', ingressFrom: ['etl/load'] }, { name: 'render' }] },
    ],
    ...extra,
  });
}

export const CONFIG = config();
export const NO_DNS = config({ defaultDeny: { allowDNS: false } });
export const VIEW = viewOf(
  ns('etl', { pipeline: 'etl' }),
  ns('etl-b', { pipeline: 'etl' }),
  ns('rep', { pipeline: 'report' }),
  ns('warehouse', { labels: { team: 'data' } }),
  ns('monitoring', { labels: { team: 'ops' } }),
  ns('kube-system'),
  ns('web'),
);

export const stage = (name: string): LabelSelector => ({ matchLabels: { [STAGE]: name } });
export const named = (namespace: string): LabelSelector => ({ matchLabels: { [NAME]: namespace } });
export const pipelineNs = (pipeline: string): LabelSelector => ({ matchLabels: { [PIPELINE]: pipeline } });
export const dnsPeer: NetworkPolicyPeer = { namespaceSelector: named('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } };
export const ip = (cidr: string, except?: string[]): NetworkPolicyPeer => ({ ipBlock: { cidr, ...(except ? { except } : {}) } });

/** A policy selecting one stage, with ingress rules from `from` lists (one rule per list). */
export function ingress(selected: string, ...rules: (NetworkPolicyPeer[] | undefined)[]): NetworkPolicySpec {
  return { podSelector: stage(selected), policyTypes: ['Ingress'], ingress: rules.map((from) => (from ? { from } : {})) };
}
export function egress(selected: string, ...rules: (NetworkPolicyPeer[] | undefined)[]): NetworkPolicySpec {
  return { podSelector: stage(selected), policyTypes: ['Egress'], egress: rules.map((to) => (to ? { to } : {})) };
}

export interface Row {
  name: string;
  spec: NetworkPolicySpec;
  /** The exact rule ids that fire, sorted. */
  want: string[];
  mentions?: RegExp[];
  /** What the messages must not say. */
  omits?: RegExp[];
  namespace?: string;
  config?: StagewallConfig;
}

export function run(rows: Row[]): void {
  for (const c of rows) {
    it(c.name, () => {
      const namespace = c.namespace ?? 'etl';
      const d = judge(netpol(namespace, 'np', c.spec), c.config ?? CONFIG, VIEW);
      const fired = [...new Set(d.violations.map((v) => v.rule))].sort();
      assert.deepEqual(fired, [...c.want].sort(), d.violations.map((v) => v.message).join('\n'));
      for (const rule of c.want) assertFires(d, rule, 'deny', `NetworkPolicy ${namespace}/np`);
      const text = d.violations.map((v) => v.message).join('\n');
      for (const m of c.mentions ?? []) assert.match(text, m);
      for (const m of c.omits ?? []) assert.doesNotMatch(text, m);
      assert.equal(d.verdict, c.want.length > 0 ? 'deny' : 'allow');
      assert.equal(d.skipped, undefined, 'a policy of a pipeline namespace is judged');
    });
  }
}
