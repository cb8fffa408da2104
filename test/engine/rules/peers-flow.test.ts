import type { NetworkPolicyPeer, NetworkPolicySpec } from '../../../src/engine/types.js';
import { makeConfig } from '../../helpers/config.js';
import { NAME } from './fixtures.js';
import { dnsPeer, egress, ingress, named, NO_DNS, pipelineNs, run, stage } from './peers-fixtures.js';

describe('engine/rules/peers-flow', () => {
  describe('ingress-flow and egress-flow', () => {
    run([
      { name: 'a podSelector-only peer from the previous stage is allowed', spec: ingress('transform', [{ podSelector: stage('extract') }]), want: [] },
      {
        name: 'a peer from an undeclared stage fires (podSelector-only stays in the namespace)',
        spec: ingress('transform', [{ podSelector: stage('load') }]),
        want: ['ingress-flow'],
        mentions: [
          /stage etl\/transform receives from stage etl\/extract; CIDRs 198\.51\.100\.0\/24, but the peer may match stage etl\/load \(namespace etl\)/,
        ],
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
      {
        name: 'the pipeline label and a stage podSelector select that stage in any pipeline namespace',
        spec: ingress('transform', [{ namespaceSelector: pipelineNs('etl'), podSelector: stage('extract') }]),
        want: [],
      },
      {
        name: 'a named pipeline namespace and a stage podSelector are allowed',
        spec: ingress('transform', [{ namespaceSelector: named('etl-b'), podSelector: stage('extract') }]),
        want: [],
      },
      {
        name: 'In on kubernetes.io/metadata.name names the namespaces too',
        spec: ingress('load', [{ namespaceSelector: { matchExpressions: [{ key: NAME, operator: 'In', values: ['monitoring'] }] } }]),
        want: [],
      },
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
      {
        name: 'namespaceSelector and podSelector in one peer are ANDed',
        spec: egress('load', [{ namespaceSelector: named('warehouse'), podSelector: { matchLabels: { app: 'db' } } }]),
        want: [],
      },
      {
        name: 'a namespace not in egressNamespaces fires',
        spec: egress('extract', [{ namespaceSelector: named('warehouse') }]),
        want: ['egress-flow'],
        mentions: [/stage etl\/extract sends to stage etl\/transform; CIDRs 203\.0\.113\.0\/24, 2001:db8:1::\/48, but the peer may match namespace warehouse/],
      },
      { name: 'egress to the next stage is allowed', spec: egress('extract', [{ podSelector: stage('transform') }]), want: [] },
      {
        name: 'egress skipping a stage fires',
        spec: egress('extract', [{ podSelector: stage('load') }]),
        want: ['egress-flow'],
        mentions: [/may match stage etl\/load/],
      },
      {
        name: 'a policy selecting several stages is judged for each of them',
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: stage('transform') }] }] },
        want: ['egress-flow'],
        mentions: [
          /stage etl\/transform sends to stage etl\/load, but the peer may match stage etl\/transform \(namespace etl\)/,
          /stage etl\/load sends to stage report\/collect; namespace warehouse, but the peer may match stage etl\/transform/,
        ],
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
      {
        name: 'egress to all of kube-system is not DNS',
        spec: egress('transform', [{ namespaceSelector: named('kube-system') }]),
        want: ['egress-flow'],
        mentions: [/namespace kube-system/],
      },
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
      {
        name: 'ingress on exactly the declared ports is allowed',
        spec: from('transform', [{ podSelector: stage('extract') }], [{ port: 8080 }, { port: 'metrics' }]),
        want: [],
        config: PORTED,
      },
      {
        name: 'ingress on a subset of the declared ports is allowed',
        spec: from('transform', [{ podSelector: stage('extract') }], [{ port: 8080, protocol: 'TCP' }]),
        want: [],
        config: PORTED,
      },
      {
        name: 'ingress with no ports admits every port: fires, naming what the stage serves',
        spec: from('transform', [{ podSelector: stage('extract') }]),
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [
          /NetworkPolicy etl\/np: ingress rule 1 opens ports outside the declared flow: stage etl\/transform serves TCP 8080, TCP metrics, but the rule also admits any port \(it lists no ports\)\./,
        ],
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
      {
        name: 'a range inside the declared range is allowed',
        spec: from('load', [{ podSelector: stage('transform') }], [{ port: 5002, endPort: 5004, protocol: 'UDP' }]),
        want: [],
        config: PORTED,
      },
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
        name: "ingressNamespaces are held to the stage's ports too (as generate writes them)",
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
      {
        name: 'a declared named port is not opened twice',
        spec: from('transform', [{ podSelector: stage('extract') }], [{ port: 'metrics', protocol: 'TCP' }]),
        want: [],
        config: PORTED,
      },
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
      {
        name: 'egress to the next stage on its declared ports is allowed',
        spec: to('extract', [{ podSelector: stage('transform') }], [{ port: 8080 }]),
        want: [],
        config: PORTED,
      },
      {
        name: 'egress to the next stage on every port fires, naming the destination and the source',
        spec: to('extract', [{ podSelector: stage('transform') }]),
        want: ['egress-flow'],
        config: PORTED,
        mentions: [
          /egress rule 1 opens ports outside the declared flow: stage etl\/transform serves TCP 8080, TCP metrics, but the rule also opens any port \(it lists no ports\) towards it from stage etl\/extract\./,
        ],
      },
      {
        name: 'egress to a namespace takes any port (egressNamespaces declare none)',
        spec: to('load', [{ namespaceSelector: named('warehouse') }]),
        want: [],
        config: PORTED,
      },
      {
        name: 'egress towards a stage on a name it does not declare fires',
        spec: to('extract', [{ podSelector: stage('transform') }], [{ port: 8080 }, { port: 'admin' }]),
        want: ['egress-flow'],
        config: PORTED,
        mentions: [/stage etl\/transform serves TCP 8080, TCP metrics, but the rule also opens TCP admin towards it from stage etl\/extract/],
      },
      {
        name: 'DNS egress takes port 53 whatever the stages serve',
        spec: to('transform', [dnsPeer], [{ port: 53, protocol: 'UDP' }]),
        want: [],
        config: PORTED,
      },
      {
        name: 'rules are judged one by one: a second, wider rule fires on its own number',
        spec: {
          podSelector: stage('transform'),
          policyTypes: ['Ingress'],
          ingress: [
            { from: [{ podSelector: stage('extract') }], ports: [{ port: 8080 }] },
            { from: [{ podSelector: stage('extract') }], ports: [{ port: 8443 }] },
          ],
        },
        want: ['ingress-flow'],
        config: PORTED,
        mentions: [/ingress rule 2 opens ports outside the declared flow/],
        omits: [/ingress rule 1 opens/],
      },
    ]);
  });
});
