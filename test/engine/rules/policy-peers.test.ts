import { strict as assert } from 'node:assert';
import type { StagewallConfig } from '../../../src/config/model.js';
import { managedPolicies } from '../../../src/engine/generate.js';
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicySpec } from '../../../src/engine/types.js';
import { makeConfig } from '../../helpers/config.js';
import { assertFires, judge, NAME, netpol, ns, PIPELINE, STAGE, viewOf } from './fixtures.js';

function config(extra: Record<string, unknown> = {}): StagewallConfig {
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

const CONFIG = config();
const NO_DNS = config({ defaultDeny: { allowDNS: false } });
const VIEW = viewOf(
  ns('etl', { pipeline: 'etl' }),
  ns('etl-b', { pipeline: 'etl' }),
  ns('rep', { pipeline: 'report' }),
  ns('warehouse', { labels: { team: 'data' } }),
  ns('monitoring', { labels: { team: 'ops' } }),
  ns('kube-system'),
  ns('web'),
);

const stage = (name: string): LabelSelector => ({ matchLabels: { [STAGE]: name } });
const named = (namespace: string): LabelSelector => ({ matchLabels: { [NAME]: namespace } });
const pipelineNs = (pipeline: string): LabelSelector => ({ matchLabels: { [PIPELINE]: pipeline } });
const dnsPeer: NetworkPolicyPeer = { namespaceSelector: named('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } };
const ip = (cidr: string, except?: string[]): NetworkPolicyPeer => ({ ipBlock: { cidr, ...(except ? { except } : {}) } });

/** A policy selecting one stage, with ingress rules from `from` lists (one rule per list). */
function ingress(selected: string, ...rules: (NetworkPolicyPeer[] | undefined)[]): NetworkPolicySpec {
  return { podSelector: stage(selected), policyTypes: ['Ingress'], ingress: rules.map((from) => (from ? { from } : {})) };
}
function egress(selected: string, ...rules: (NetworkPolicyPeer[] | undefined)[]): NetworkPolicySpec {
  return { podSelector: stage(selected), policyTypes: ['Egress'], egress: rules.map((to) => (to ? { to } : {})) };
}

interface Row {
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

function run(rows: Row[]): void {
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

describe('engine/rules/policy-peers', () => {
  describe('ingress-open and egress-open', () => {
    run([
      { name: 'an ingress rule with no from admits every source', spec: ingress('transform', undefined), want: ['ingress-open'], mentions: [/ingress rule 1 admits every source: it has no "from"/, /stage etl\/extract/] },
      { name: 'an egress rule with no to allows every destination', spec: egress('transform', undefined), want: ['egress-open'], mentions: [/egress rule 1 allows every destination: it has no "to"/] },
      { name: 'a peer namespaceSelector {} alone matches every pod of every namespace', spec: ingress('transform', [{ namespaceSelector: {} }]), want: ['ingress-open'], mentions: [/peer 1 \(namespaceSelector \{\}\)/] },
      { name: 'namespaceSelector {} with an empty podSelector is still open', spec: ingress('transform', [{ namespaceSelector: {}, podSelector: {} }]), want: ['ingress-open'] },
      { name: 'an empty matchLabels is an empty selector', spec: ingress('transform', [{ namespaceSelector: { matchLabels: {} } }]), want: ['ingress-open'] },
      { name: 'ipBlock 0.0.0.0/0 is every IPv4 source', spec: ingress('transform', [ip('0.0.0.0/0')]), want: ['ingress-open'], mentions: [/ipBlock 0\.0\.0\.0\/0 is every address/] },
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
        spec: { podSelector: stage('transform'), policyTypes: ['Ingress'], egress: [{}, { to: [ip('0.0.0.0/0')] }, { to: [{ namespaceSelector: named('web') }] }] },
        want: [],
      },
      {
        name: 'ingress rules of a policy whose policyTypes is [Egress] are ignored',
        spec: { podSelector: stage('transform'), policyTypes: ['Egress'], ingress: [{}, { from: [ip('192.0.2.0/24')] }, { from: [{ podSelector: stage('load') }] }] },
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
      const d = judge(netpol('etl', 'np', ingress('transform', undefined)), CONFIG, VIEW, { operation: 'UPDATE', oldObject: netpol('etl', 'np', ingress('transform', [])) });
      assertFires(d, 'ingress-open', 'deny', 'NetworkPolicy etl/np');
    });
  });

  describe('ingress-flow and egress-flow', () => {
    run([
      { name: 'a podSelector-only peer from the previous stage is allowed', spec: ingress('transform', [{ podSelector: stage('extract') }]), want: [] },
      {
        name: 'a peer from an undeclared stage fires (podSelector-only stays in the namespace)',
        spec: ingress('transform', [{ podSelector: stage('load') }]),
        want: ['ingress-flow'],
        mentions: [/stage etl\/transform receives from stage etl\/extract; CIDRs 198\.51\.100\.0\/24, but the peer may match stage etl\/load \(namespace etl\)/],
      },
      {
        name: 'an empty podSelector-only peer matches every stage of the namespace',
        spec: ingress('transform', [{ podSelector: {} }]),
        want: ['ingress-flow'],
        mentions: [/stage etl\/transform \(namespace etl\), stage etl\/load \(namespace etl\)/],
      },
      {
        name: 'peers are ORed: one bad peer fires, located by its number',
        spec: ingress('transform', [{ podSelector: stage('extract') }, { podSelector: stage('load') }]),
        want: ['ingress-flow'],
        mentions: [/ingress rule 1, peer 2/],
      },
      { name: 'the pipeline label and a stage podSelector select that stage in any pipeline namespace', spec: ingress('transform', [{ namespaceSelector: pipelineNs('etl'), podSelector: stage('extract') }]), want: [] },
      { name: 'a named pipeline namespace and a stage podSelector are allowed', spec: ingress('transform', [{ namespaceSelector: named('etl-b'), podSelector: stage('extract') }]), want: [] },
      { name: 'In on kubernetes.io/metadata.name names the namespaces too', spec: ingress('load', [{ namespaceSelector: { matchExpressions: [{ key: NAME, operator: 'In', values: ['monitoring'] }] } }]), want: [] },
      { name: 'a namespace in ingressNamespaces may reach the stage', spec: ingress('load', [{ namespaceSelector: named('monitoring') }]), want: [] },
      {
        name: 'a namespace not in ingressNamespaces fires',
        spec: ingress('transform', [{ namespaceSelector: named('monitoring') }]),
        want: ['ingress-flow'],
        mentions: [/may match namespace monitoring/],
      },
      {
        name: 'egressNamespaces are not ingressNamespaces',
        spec: ingress('load', [{ namespaceSelector: named('warehouse') }]),
        want: ['ingress-flow'],
        mentions: [/may match namespace warehouse/],
      },
      {
        name: 'a namespaceSelector that does not name the namespace may match any namespace',
        spec: ingress('load', [{ namespaceSelector: { matchLabels: { team: 'ops' } } }]),
        want: ['ingress-flow'],
        mentions: [/pods of any non-pipeline namespace/],
      },
      {
        name: 'a namespaceSelector that does not name the pipeline may match pipeline namespaces too',
        spec: ingress('transform', [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, podSelector: stage('load') }]),
        want: ['ingress-flow'],
        mentions: [/stage etl\/load \(any namespace of pipeline etl\)/],
      },
      { name: 'a namespace in egressNamespaces may be reached', spec: egress('load', [{ namespaceSelector: named('warehouse') }]), want: [] },
      { name: 'namespaceSelector and podSelector in one peer are ANDed', spec: egress('load', [{ namespaceSelector: named('warehouse'), podSelector: { matchLabels: { app: 'db' } } }]), want: [] },
      {
        name: 'a namespace not in egressNamespaces fires',
        spec: egress('extract', [{ namespaceSelector: named('warehouse') }]),
        want: ['egress-flow'],
        mentions: [/stage etl\/extract sends to stage etl\/transform; CIDRs 203\.0\.113\.0\/24, 2001:db8:1::\/48, but the peer may match namespace warehouse/],
      },
      { name: 'egress to the next stage is allowed', spec: egress('extract', [{ podSelector: stage('transform') }]), want: [] },
      { name: 'egress skipping a stage fires', spec: egress('extract', [{ podSelector: stage('load') }]), want: ['egress-flow'], mentions: [/may match stage etl\/load/] },
      {
        name: 'a policy selecting several stages is judged for each of them',
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: stage('transform') }] }] },
        want: ['egress-flow'],
        mentions: [/stage etl\/transform sends to stage etl\/load, but the peer may match stage etl\/transform \(namespace etl\)/, /stage etl\/load sends to stage report\/collect; namespace warehouse, but the peer may match stage etl\/transform/],
        omits: [/stage etl\/extract sends to/],
      },
      {
        name: 'a cross-pipeline edge declared as pipeline/stage is allowed on the sending side',
        spec: egress('load', [{ namespaceSelector: pipelineNs('report'), podSelector: stage('collect') }]),
        want: [],
      },
      {
        name: 'a cross-pipeline edge to a named namespace of the other pipeline is allowed',
        spec: egress('load', [{ namespaceSelector: named('rep'), podSelector: stage('collect') }]),
        want: [],
      },
      {
        name: 'a cross-pipeline peer to an undeclared stage fires',
        spec: egress('load', [{ namespaceSelector: pipelineNs('report'), podSelector: stage('render') }]),
        want: ['egress-flow'],
        mentions: [/may match stage report\/render/],
      },
      {
        name: 'a cross-pipeline edge is allowed on the receiving side',
        namespace: 'rep',
        spec: ingress('collect', [{ namespaceSelector: pipelineNs('etl'), podSelector: stage('load') }]),
        want: [],
      },
      {
        name: 'a cross-pipeline peer from an undeclared stage fires',
        namespace: 'rep',
        spec: ingress('collect', [{ namespaceSelector: pipelineNs('etl'), podSelector: stage('transform') }]),
        want: ['ingress-flow'],
        mentions: [/stage report\/collect receives from stage etl\/load, but the peer may match stage etl\/transform/],
      },
      { name: 'DNS egress to kube-dns in kube-system is allowed with allowDNS', spec: egress('transform', [dnsPeer]), want: [] },
      {
        name: 'DNS egress without allowDNS fires',
        config: NO_DNS,
        spec: egress('transform', [dnsPeer]),
        want: ['egress-flow'],
        mentions: [/may match kube-dns in kube-system/],
      },
      { name: 'egress to all of kube-system is not DNS', spec: egress('transform', [{ namespaceSelector: named('kube-system') }]), want: ['egress-flow'], mentions: [/namespace kube-system/] },
      { name: 'allowDNS does not open ingress from kube-dns', spec: ingress('transform', [dnsPeer]), want: ['ingress-flow'] },
    ]);
  });

  describe('ingress-flow and egress-flow: declared ports', () => {
    // transform serves TCP 8080 and the named port metrics; load serves UDP 5000-5010; extract declares none.
    const PORTED = makeConfig({
      pipelines: [
        {
          name: 'etl',
          stages: [
            { name: 'extract', ingressNamespaces: ['monitoring'] },
            { name: 'transform', ports: [{ port: 8080 }, { port: 'metrics' }] },
            { name: 'load', ports: [{ port: 5000, endPort: 5010, protocol: 'UDP' }], ingressNamespaces: ['monitoring'], egressNamespaces: ['warehouse'] },
          ],
        },
      ],
    });
    type Ports = { port?: number | string; endPort?: number; protocol?: string }[];
    const from = (selected: string, peers: NetworkPolicyPeer[], ports?: Ports): NetworkPolicySpec => ({
      podSelector: stage(selected),
      policyTypes: ['Ingress'],
      ingress: [{ from: peers, ...(ports ? { ports } : {}) }],
    });
    const to = (selected: string, peers: NetworkPolicyPeer[], ports?: Ports): NetworkPolicySpec => ({
      podSelector: stage(selected),
      policyTypes: ['Egress'],
      egress: [{ to: peers, ...(ports ? { ports } : {}) }],
    });
    run([
      { name: 'ingress on exactly the declared ports is allowed', spec: from('transform', [{ podSelector: stage('extract') }], [{ port: 8080 }, { port: 'metrics' }]), want: [], config: PORTED },
      { name: 'ingress on a subset of the declared ports is allowed', spec: from('transform', [{ podSelector: stage('extract') }], [{ port: 8080, protocol: 'TCP' }]), want: [], config: PORTED },
      {
        name: 'ingress with no ports admits every port: fires, naming what the stage serves',
        spec: from('transform', [{ podSelector: stage('extract') }]),
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [/NetworkPolicy etl\/np: ingress rule 1 opens ports outside the declared flow: stage etl\/transform serves TCP 8080, TCP metrics, but the rule also admits any port \(it lists no ports\)\./],
      },
      {
        name: 'an undeclared port fires, and only it is named',
        spec: from('transform', [{ podSelector: stage('extract') }], [{ port: 8080 }, { port: 22 }]),
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [/but the rule also admits TCP 22\./],
      },
      {
        name: 'the declared number on another protocol fires',
        spec: from('transform', [{ podSelector: stage('extract') }], [{ port: 8080, protocol: 'UDP' }]),
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [/also admits UDP 8080/],
      },
      {
        name: 'a range inside the declared range is allowed; one reaching past it fires',
        spec: from('load', [{ podSelector: stage('transform') }], [{ port: 5000, endPort: 5011, protocol: 'UDP' }]),
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [/stage etl\/load serves UDP 5000-5010, but the rule also admits UDP 5011/],
      },
      { name: 'a range inside the declared range is allowed', spec: from('load', [{ podSelector: stage('transform') }], [{ port: 5002, endPort: 5004, protocol: 'UDP' }]), want: [], config: PORTED },
      {
        name: 'a protocol-only entry is every port of that protocol',
        spec: from('load', [{ podSelector: stage('transform') }], [{ protocol: 'UDP' }]),
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [/also admits UDP 1-4999, UDP 5011-65535/],
      },
      {
        name: 'a number is not a name: 9102 where the stage declares the named port metrics fires',
        spec: from('transform', [{ podSelector: stage('extract') }], [{ port: 8080 }, { port: 9102 }]),
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [/also admits TCP 9102/],
      },
      {
        name: 'ingressNamespaces are held to the stage\'s ports too (as generate writes them)',
        spec: from('load', [{ namespaceSelector: named('monitoring') }]),
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [/stage etl\/load serves UDP 5000-5010, but the rule also admits any port/],
      },
      { name: 'a stage that declares no ports takes any port', spec: from('extract', [{ namespaceSelector: named('monitoring') }]), want: [], config: PORTED },
      {
        name: 'a named port the stage does not declare counts as opened (the pods may have it, under any number)',
        spec: from('transform', [{ podSelector: stage('extract') }], [{ port: 'admin' }]),
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [/stage etl\/transform serves TCP 8080, TCP metrics, but the rule also admits TCP admin\./],
      },
      { name: 'a declared named port is not opened twice', spec: from('transform', [{ podSelector: stage('extract') }], [{ port: 'metrics', protocol: 'TCP' }]), want: [], config: PORTED },
      {
        name: 'a declared name on another protocol is another port',
        spec: from('transform', [{ podSelector: stage('extract') }], [{ port: 'metrics', protocol: 'UDP' }]),
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [/also admits UDP metrics/],
      },
      {
        name: 'a peer outside the flow is the peer finding only, not also a port finding',
        spec: from('transform', [{ podSelector: stage('load') }]),
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [/may match stage etl\/load/],
        omits: [/opens ports/],
      },
      { name: 'egress to the next stage on its declared ports is allowed', spec: to('extract', [{ podSelector: stage('transform') }], [{ port: 8080 }]), want: [], config: PORTED },
      {
        name: 'egress to the next stage on every port fires, naming the destination and the source',
        spec: to('extract', [{ podSelector: stage('transform') }]),
        want: ['egress-flow'],
        config: PORTED,
        mentions: [/egress rule 1 opens ports outside the declared flow: stage etl\/transform serves TCP 8080, TCP metrics, but the rule also opens any port \(it lists no ports\) towards it from stage etl\/extract\./],
      },
      { name: 'egress to a namespace takes any port (egressNamespaces declare none)', spec: to('load', [{ namespaceSelector: named('warehouse') }]), want: [], config: PORTED },
      {
        name: 'egress towards a stage on a name it does not declare fires',
        spec: to('extract', [{ podSelector: stage('transform') }], [{ port: 8080 }, { port: 'admin' }]),
        want: ['egress-flow'],
        config: PORTED,
        mentions: [/stage etl\/transform serves TCP 8080, TCP metrics, but the rule also opens TCP admin towards it from stage etl\/extract/],
      },
      { name: 'DNS egress takes port 53 whatever the stages serve', spec: to('transform', [dnsPeer], [{ port: 53, protocol: 'UDP' }]), want: [], config: PORTED },
      {
        name: 'rules are judged one by one: a second, wider rule fires on its own number',
        spec: { podSelector: stage('transform'), policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: stage('extract') }], ports: [{ port: 8080 }] }, { from: [{ podSelector: stage('extract') }], ports: [{ port: 8443 }] }] },
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [/ingress rule 2 opens ports outside the declared flow/],
        omits: [/ingress rule 1 opens/],
      },
    ]);
  });

  describe('ingress-external and egress-external', () => {
    run([
      { name: 'an ipBlock inside the approved CIDR is allowed', spec: egress('extract', [ip('203.0.113.0/25')]), want: [] },
      { name: 'the approved CIDR itself is allowed', spec: egress('extract', [ip('203.0.113.0/24')]), want: [] },
      {
        name: 'a wider ipBlock fires, naming what lies outside',
        spec: egress('extract', [ip('203.0.112.0/23')]),
        want: ['egress-external'],
        mentions: [/203\.0\.112\.0\/23 reaches 203\.0\.112\.0\/24, outside the approved egressExternal of stage etl\/extract \(203\.0\.113\.0\/24, 2001:db8:1::\/48\)/],
      },
      { name: 'IPv4 except carves the block down into the approved CIDR', spec: egress('extract', [ip('203.0.112.0/23', ['203.0.112.0/24'])]), want: [] },
      {
        name: 'IPv4 except that leaves addresses outside still fires',
        spec: egress('extract', [ip('203.0.0.0/16', ['203.0.113.0/24'])]),
        want: ['egress-external'],
        mentions: [/203\.0\.0\.0\/16 reaches 203\.0\.0\.0\/18/],
      },
      { name: 'an IPv6 ipBlock inside the approved CIDR is allowed', spec: egress('extract', [ip('2001:db8:1:2::/64')]), want: [] },
      { name: 'IPv6 except carves the block down into the approved CIDR', spec: egress('extract', [ip('2001:db8::/47', ['2001:db8::/48'])]), want: [] },
      {
        name: 'an IPv6 ipBlock wider than the approved one fires',
        spec: egress('extract', [ip('2001:db8::/47')]),
        want: ['egress-external'],
        mentions: [/2001:db8::\/47 reaches 2001:db8::\/48,/],
      },
      { name: 'IPv6 except that leaves addresses outside still fires', spec: egress('extract', [ip('2001:db8::/32', ['2001:db8:1::/48'])]), want: ['egress-external'] },
      { name: 'a stage without approved CIDRs may reach none', spec: egress('transform', [ip('203.0.113.0/24')]), want: ['egress-external'], mentions: [/egressExternal of stage etl\/transform \(none\)/] },
      { name: 'an approved ingress CIDR may reach the stage', spec: ingress('transform', [ip('198.51.100.128/25')]), want: [] },
      { name: 'a wider ingress ipBlock fires', spec: ingress('transform', [ip('198.51.100.0/23')]), want: ['ingress-external'], mentions: [/198\.51\.101\.0\/24/] },
      { name: 'ingressExternal of one stage does not approve another', spec: ingress('load', [ip('198.51.100.0/24')]), want: ['ingress-external'] },
      { name: 'egressExternal does not approve ingress', spec: ingress('extract', [ip('203.0.113.0/24')]), want: ['ingress-external'] },
      {
        name: 'an ipBlock next to a bad namespace peer: each rule judges its own part',
        spec: egress('extract', [ip('203.0.113.0/24'), { namespaceSelector: named('warehouse') }]),
        want: ['egress-flow'],
        mentions: [/egress rule 1, peer 2/],
      },
    ]);
  });

  describe('ingress-external and egress-external: approved ports', () => {
    // extract: 203.0.113.0/24 on 443, inside it 203.0.113.128/25 also on 8443, 198.51.100.0/24 on any port.
    // transform (serves 8080): 192.0.2.0/24 on the stage's ports, 10.0.0.0/8 on 9000.
    const APPROVED = makeConfig({
      pipelines: [
        {
          name: 'etl',
          stages: [
            { name: 'extract', egressExternal: [{ cidr: '203.0.113.0/24', ports: [443] }, { cidr: '203.0.113.128/25', ports: [8443] }, '198.51.100.0/24'] },
            { name: 'transform', ports: [8080], ingressExternal: ['192.0.2.0/24', { cidr: '10.0.0.0/8', ports: [9000] }] },
          ],
        },
      ],
    });
    type Ports = { port?: number | string; endPort?: number; protocol?: string }[];
    const out = (peers: NetworkPolicyPeer[], ports?: Ports): NetworkPolicySpec => ({ podSelector: stage('extract'), policyTypes: ['Egress'], egress: [{ to: peers, ...(ports ? { ports } : {}) }] });
    const into = (peers: NetworkPolicyPeer[], ports?: Ports): NetworkPolicySpec => ({ podSelector: stage('transform'), policyTypes: ['Ingress'], ingress: [{ from: peers, ...(ports ? { ports } : {}) }] });
    run([
      { name: 'egress on the approved port is allowed', spec: out([ip('203.0.113.0/24')], [{ port: 443 }]), want: [], config: APPROVED },
      {
        name: 'egress on every port fires',
        spec: out([ip('203.0.113.0/24')]),
        want: ['egress-external'],
        config: APPROVED,
        mentions: [/egress rule 1 opens ports the approved egressExternal entries do not: 203\.0\.113\.0\/24 opens any port \(it lists no ports\) for 203\.0\.113\.0\/25, where stage etl\/extract approves TCP 443 \(203\.0\.113\.0\/24\)/],
      },
      {
        name: 'a port approved only for a nested CIDR fires for the rest of the wider one',
        spec: out([ip('203.0.113.0/24')], [{ port: 8443 }]),
        want: ['egress-external'],
        config: APPROVED,
        mentions: [/opens TCP 8443 for 203\.0\.113\.0\/25, where stage etl\/extract approves TCP 443 \(203\.0\.113\.0\/24\)/],
        omits: [/for 203\.0\.113\.128\/25/],
      },
      { name: 'inside the nested CIDR both entries\' ports are approved', spec: out([ip('203.0.113.128/26')], [{ port: 443 }, { port: 8443 }]), want: [], config: APPROVED },
      { name: 'except can carve the block down to where the port is approved', spec: out([ip('203.0.113.0/24', ['203.0.113.0/25'])], [{ port: 8443 }]), want: [], config: APPROVED },
      { name: 'an entry without ports approves every port', spec: out([ip('198.51.100.0/24')]), want: [], config: APPROVED },
      { name: 'a named port reaches no address: it opens nothing outside the pods', spec: out([ip('203.0.113.0/24')], [{ port: 'https' }]), want: [], config: APPROVED },
      {
        name: 'addresses outside every entry are the CIDR finding, not also a port finding',
        spec: out([ip('192.0.2.0/24')]),
        want: ['egress-external'],
        config: APPROVED,
        mentions: [/reaches 192\.0\.2\.0\/24, outside the approved egressExternal/],
        omits: [/opens/],
      },
      { name: 'ingress from an entry without ports, on the stage\'s ports, is allowed', spec: into([ip('192.0.2.0/24')], [{ port: 8080 }]), want: [], config: APPROVED },
      {
        name: 'ingress from an entry without ports is held to the stage\'s ports',
        spec: into([ip('192.0.2.0/24')]),
        want: ['ingress-external'],
        config: APPROVED,
        mentions: [/192\.0\.2\.0\/24 opens any port \(it lists no ports\) for 192\.0\.2\.0\/24, where stage etl\/transform approves TCP 8080 \(192\.0\.2\.0\/24\)/],
      },
      {
        name: 'ingress from an entry without ports on a name the stage does not declare fires',
        spec: into([ip('192.0.2.0/24')], [{ port: 'admin' }]),
        want: ['ingress-external'],
        config: APPROVED,
        mentions: [/opens TCP admin for 192\.0\.2\.0\/24, where stage etl\/transform approves TCP 8080/],
      },
      { name: 'ingress from an entry with ports, on them, is allowed', spec: into([ip('10.1.0.0/16')], [{ port: 9000 }]), want: [], config: APPROVED },
      { name: 'ingress from an entry with ports, on another, fires', spec: into([ip('10.1.0.0/16')], [{ port: 8080 }]), want: ['ingress-external'], config: APPROVED, mentions: [/opens TCP 8080 for 10\.1\.0\.0\/16, where stage etl\/transform approves TCP 9000 \(10\.0\.0\.0\/8\)/] },
    ]);
  });

  describe("stagewall's managed policies", () => {
    for (const policy of managedPolicies('etl', CONFIG)) {
      it(`${policy.metadata?.name} is allowed`, () => {
        const d = judge(policy as NetworkPolicy, CONFIG, VIEW);
        assert.equal(d.skipped, undefined);
        assert.deepEqual(d.violations, []);
      });
    }
  });
});
