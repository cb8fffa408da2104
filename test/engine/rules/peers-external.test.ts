import type { NetworkPolicyPeer, NetworkPolicySpec } from '../../../src/engine/types.js';
import { makeConfig } from '../../helpers/config.js';
import { egress, ingress, ip, named, run, stage } from './peers-fixtures.js';

describe('engine/rules/peers-external', () => {
  describe('ingress-external and egress-external', () => {
    run([
      { name: 'an ipBlock inside the approved CIDR is allowed', spec: egress('extract', [ip('203.0.113.0/25')]), want: [] },
      { name: 'the approved CIDR itself is allowed', spec: egress('extract', [ip('203.0.113.0/24')]), want: [] },
      {
        name: 'a wider ipBlock fires, naming what lies outside',
        spec: egress('extract', [ip('203.0.112.0/23')]),
        want: ['egress-external'],
        mentions: [
          /203\.0\.112\.0\/23 reaches 203\.0\.112\.0\/24, outside the approved egressExternal of stage etl\/extract \(203\.0\.113\.0\/24, 2001:db8:1::\/48\)/,
        ],
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
      {
        name: 'IPv6 except that leaves addresses outside still fires',
        spec: egress('extract', [ip('2001:db8::/32', ['2001:db8:1::/48'])]),
        want: ['egress-external'],
      },
      {
        name: 'a stage without approved CIDRs may reach none',
        spec: egress('transform', [ip('203.0.113.0/24')]),
        want: ['egress-external'],
        mentions: [/egressExternal of stage etl\/transform \(none\)/],
      },
      { name: 'an approved ingress CIDR may reach the stage', spec: ingress('transform', [ip('198.51.100.128/25')]), want: [] },
      {
        name: 'a wider ingress ipBlock fires',
        spec: ingress('transform', [ip('198.51.100.0/23')]),
        want: ['ingress-external'],
        mentions: [/198\.51\.101\.0\/24/],
      },
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
    const out = (peers: NetworkPolicyPeer[], ports?: Ports): NetworkPolicySpec => ({
      podSelector: stage('extract'),
      policyTypes: ['Egress'],
      egress: [{ to: peers, ...(ports ? { ports } : {}) }],
    });
    const into = (peers: NetworkPolicyPeer[], ports?: Ports): NetworkPolicySpec => ({
      podSelector: stage('transform'),
      policyTypes: ['Ingress'],
      ingress: [{ from: peers, ...(ports ? { ports } : {}) }],
    });
    run([
      { name: 'egress on the approved port is allowed', spec: out([ip('203.0.113.0/24')], [{ port: 443 }]), want: [], config: APPROVED },
      {
        name: 'egress on every port fires',
        spec: out([ip('203.0.113.0/24')]),
        want: ['egress-external'],
        config: APPROVED,
        mentions: [
          /egress rule 1 opens ports the approved egressExternal entries do not: 203\.0\.113\.0\/24 opens any port \(it lists no ports\) for 203\.0\.113\.0\/25, where stage etl\/extract approves TCP 443 \(203\.0\.113\.0\/24\)/,
        ],
      },
      {
        name: 'a port approved only for a nested CIDR fires for the rest of the wider one',
        spec: out([ip('203.0.113.0/24')], [{ port: 8443 }]),
        want: ['egress-external'],
        config: APPROVED,
        mentions: [/opens TCP 8443 for 203\.0\.113\.0\/25, where stage etl\/extract approves TCP 443 \(203\.0\.113\.0\/24\)/],
        omits: [/for 203\.0\.113\.128\/25/],
      },
      {
        name: "inside the nested CIDR both entries' ports are approved",
        spec: out([ip('203.0.113.128/26')], [{ port: 443 }, { port: 8443 }]),
        want: [],
        config: APPROVED,
      },
      {
        name: 'except can carve the block down to where the port is approved',
        spec: out([ip('203.0.113.0/24', ['203.0.113.0/25'])], [{ port: 8443 }]),
        want: [],
        config: APPROVED,
      },
      { name: 'an entry without ports approves every port', spec: out([ip('198.51.100.0/24')]), want: [], config: APPROVED },
      {
        name: 'a named port reaches no address: it opens nothing outside the pods',
        spec: out([ip('203.0.113.0/24')], [{ port: 'https' }]),
        want: [],
        config: APPROVED,
      },
      {
        name: 'addresses outside every entry are the CIDR finding, not also a port finding',
        spec: out([ip('192.0.2.0/24')]),
        want: ['egress-external'],
        config: APPROVED,
        mentions: [/reaches 192\.0\.2\.0\/24, outside the approved egressExternal/],
        omits: [/opens/],
      },
      {
        name: "ingress from an entry without ports, on the stage's ports, is allowed",
        spec: into([ip('192.0.2.0/24')], [{ port: 8080 }]),
        want: [],
        config: APPROVED,
      },
      {
        name: "ingress from an entry without ports is held to the stage's ports",
        spec: into([ip('192.0.2.0/24')]),
        want: ['ingress-external'],
        config: APPROVED,
        mentions: [
          /192\.0\.2\.0\/24 opens any port \(it lists no ports\) for 192\.0\.2\.0\/24, where stage etl\/transform approves TCP 8080 \(192\.0\.2\.0\/24\)/,
        ],
      },
      {
        name: 'ingress from an entry without ports on a name the stage does not declare fires',
        spec: into([ip('192.0.2.0/24')], [{ port: 'admin' }]),
        want: ['ingress-external'],
        config: APPROVED,
        mentions: [/opens TCP admin for 192\.0\.2\.0\/24, where stage etl\/transform approves TCP 8080/],
      },
      { name: 'ingress from an entry with ports, on them, is allowed', spec: into([ip('10.1.0.0/16')], [{ port: 9000 }]), want: [], config: APPROVED },
      {
        name: 'ingress from an entry with ports, on another, fires',
        spec: into([ip('10.1.0.0/16')], [{ port: 8080 }]),
        want: ['ingress-external'],
        config: APPROVED,
        mentions: [/opens TCP 8080 for 10\.1\.0\.0\/16, where stage etl\/transform approves TCP 9000 \(10\.0\.0\.0\/8\)/],
      },
    ]);
  });
});
