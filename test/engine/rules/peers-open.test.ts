import { strict as assert } from 'node:assert';
import { assertFires, judge, netpol, STAGE } from './fixtures.js';
import { CONFIG, egress, ingress, ip, named, run, stage, VIEW } from './peers-fixtures.js';

describe('engine/rules/peers-open', () => {
  describe('ingress-open and egress-open', () => {
    run([
      {
        name: 'an ingress rule with no from admits every source',
        spec: ingress('transform', undefined),
        want: ['ingress-open'],
        mentions: [/ingress rule 1 admits every source: it has no "from"/, /stage etl\/extract/],
      },
      {
        name: 'an egress rule with no to allows every destination',
        spec: egress('transform', undefined),
        want: ['egress-open'],
        mentions: [/egress rule 1 allows every destination: it has no "to"/],
      },
      {
        name: 'a peer namespaceSelector {} alone matches every pod of every namespace',
        spec: ingress('transform', [{ namespaceSelector: {} }]),
        want: ['ingress-open'],
        mentions: [/peer 1 \(namespaceSelector \{\}\)/],
      },
      {
        name: 'namespaceSelector {} with an empty podSelector is still open',
        spec: ingress('transform', [{ namespaceSelector: {}, podSelector: {} }]),
        want: ['ingress-open'],
      },
      { name: 'an empty matchLabels is an empty selector', spec: ingress('transform', [{ namespaceSelector: { matchLabels: {} } }]), want: ['ingress-open'] },
      {
        name: 'ipBlock 0.0.0.0/0 is every IPv4 source',
        spec: ingress('transform', [ip('0.0.0.0/0')]),
        want: ['ingress-open'],
        mentions: [/ipBlock 0\.0\.0\.0\/0 is every address/],
      },
      { name: 'ipBlock ::/0 is every IPv6 source', spec: ingress('transform', [ip('::/0')]), want: ['ingress-open'], mentions: [/::\/0 is every address/] },
      { name: 'ipBlock 0.0.0.0/0 as egress allows every destination', spec: egress('extract', [ip('0.0.0.0/0')]), want: ['egress-open'] },
      {
        name: 'ipBlock 0.0.0.0/0 except the cluster is not "every address" but reaches far beyond the approved CIDRs',
        spec: egress('extract', [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }]),
        want: ['egress-external'],
      },
      { name: 'ipBlock ::/0 as egress allows every destination', spec: egress('extract', [ip('::/0')]), want: ['egress-open'] },
      {
        name: 'the open rule is located by its number',
        spec: ingress('transform', [{ podSelector: stage('extract') }], undefined),
        want: ['ingress-open'],
        mentions: [/ingress rule 2 admits/],
      },
      {
        name: 'namespaceSelector {} narrowed by a podSelector is not open (but may match any namespace)',
        spec: ingress('transform', [{ namespaceSelector: {}, podSelector: stage('extract') }]),
        want: ['ingress-flow'],
        mentions: [/pods of any non-pipeline namespace/],
      },
      {
        name: 'policyTypes omitted: egress rules make Egress effective, so an open egress rule fires',
        spec: { podSelector: stage('transform'), egress: [{}] },
        want: ['egress-open'],
      },
      {
        name: 'policyTypes: [] with an open egress rule fires egress-open',
        spec: { podSelector: stage('transform'), policyTypes: [], egress: [{}] },
        want: ['egress-open'],
      },
      {
        name: 'egress rules of a policy whose policyTypes is [Ingress] are ignored',
        spec: {
          podSelector: stage('transform'),
          policyTypes: ['Ingress'],
          egress: [{}, { to: [ip('0.0.0.0/0')] }, { to: [{ namespaceSelector: named('web') }] }],
        },
        want: [],
      },
      {
        name: 'ingress rules of a policy whose policyTypes is [Egress] are ignored',
        spec: {
          podSelector: stage('transform'),
          policyTypes: ['Egress'],
          ingress: [{}, { from: [ip('192.0.2.0/24')] }, { from: [{ podSelector: stage('load') }] }],
        },
        want: [],
      },
      {
        name: 'a policy that may select no pipeline stage is not judged',
        spec: { podSelector: stage('nope'), policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] },
        want: [],
      },
      {
        name: 'a podSelector without a stage constraint may select every stage',
        spec: { podSelector: { matchLabels: { app: 'x' } }, ingress: [{}] },
        want: ['ingress-open'],
        mentions: [/it selects stage etl\/extract, etl\/transform, etl\/load/],
      },
      {
        name: 'NotIn on the stage key may select the stages it does not list',
        spec: { podSelector: { matchExpressions: [{ key: STAGE, operator: 'NotIn', values: ['extract', 'load'] }] }, ingress: [{}] },
        want: ['ingress-open'],
        mentions: [/it selects stage etl\/transform\./],
      },
    ]);

    it('a wide-open policy of a non-pipeline namespace is not judged', () => {
      const d = judge(netpol('web', 'np', ingress('transform', undefined)), CONFIG, VIEW);
      assert.equal(d.skipped, 'not-a-pipeline');
      assert.deepEqual(d.violations, []);
    });
    it('a wide-open policy of an exempt namespace is not judged', () => {
      const d = judge(netpol('kube-system', 'np', { podSelector: {}, ingress: [{}] }), CONFIG, VIEW);
      assert.equal(d.skipped, 'exempt-namespace');
    });
    it('UPDATE is judged like CREATE', () => {
      const d = judge(netpol('etl', 'np', ingress('transform', undefined)), CONFIG, VIEW, {
        operation: 'UPDATE',
        oldObject: netpol('etl', 'np', ingress('transform', [])),
      });
      assertFires(d, 'ingress-open', 'deny', 'NetworkPolicy etl/np');
    });
  });
});
