// Connectivity truth tables in the style of the Kubernetes e2e network-policy suite: namespaces
// x, y, z with pods a, b, c, every pod serving 80 and 81 on TCP, 80 and 81 on UDP and 80 on SCTP
// by named container ports. One row per case, named after the Kubernetes rule it pins.
import { strict as assert } from 'node:assert';
import { loadConfigFile } from '../../src/config/load.js';
import { evaluateEdge, representativePod, servedPorts, stageFlow, stagePlacements } from '../../src/engine/flow.js';
import { allowed, allowedPorts, type Endpoint, type PodEndpoint, type TrafficPort } from '../../src/engine/reachability.js';
import { ALL_PORTS, formatPorts, intersect, isEmpty, isSubset, NO_PORTS, type PortSet, subtract, union } from '../../src/shared/ports.js';
import type { LabelSelector, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule } from '../../src/engine/types.js';
import type { IndexedView } from '../../src/engine/view.js';
import { loadManifests } from '../../src/manifests/load.js';
import { buildStaticView } from '../../src/manifests/view.js';
import { makeConfig } from '../helpers/config.js';
import { NAME, netpol, ns, PIPELINE, STAGE, viewOf } from './rules/fixtures.js';

const CONTAINER_PORTS = [
  { name: 'serve-80-tcp', containerPort: 80, protocol: 'TCP' },
  { name: 'serve-81-tcp', containerPort: 81 }, // protocol defaults to TCP
  { name: 'serve-80-udp', containerPort: 80, protocol: 'UDP' },
  { name: 'serve-81-udp', containerPort: 81, protocol: 'UDP' },
  { name: 'serve-80-sctp', containerPort: 80, protocol: 'SCTP' },
];
const NAMESPACES = [ns('x', { labels: { ns: 'x' } }), ns('y', { labels: { ns: 'y', team: 'red' } }), ns('z', { labels: { ns: 'z' } })];
const PODS = ['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c'] as const;
type PodId = (typeof PODS)[number];

function podAt(id: string, extra: Partial<PodEndpoint> = {}): PodEndpoint {
  const [namespace = '', name = ''] = id.split('/');
  return { namespace, labels: { pod: name }, containerPorts: CONTAINER_PORTS, ...extra };
}

const pods = (name: string): LabelSelector => ({ matchLabels: { pod: name } });
const deny = (namespace: string, types: string[], podSelector: LabelSelector = {}): NetworkPolicy =>
  netpol(namespace, `deny-${types.join('-')}`, { podSelector, policyTypes: types });
const allowIngress = (namespace: string, name: string, podSelector: LabelSelector, rules: NetworkPolicyIngressRule[], policyTypes?: string[]): NetworkPolicy =>
  netpol(namespace, name, { podSelector, ingress: rules, ...(policyTypes ? { policyTypes } : {}) });
const allowEgress = (
  namespace: string,
  name: string,
  podSelector: LabelSelector,
  rules: NetworkPolicyEgressRule[],
  policyTypes: string[] = ['Egress'],
): NetworkPolicy => netpol(namespace, name, { podSelector, egress: rules, policyTypes });

/** The e2e "reachability" matrix: one row per source, `.` reaches, `X` is blocked. */
function matrix(reach: (from: PodId, to: PodId) => boolean): string[] {
  return PODS.map((from) => `${from} ${PODS.map((to) => (reach(from, to) ? '.' : 'X')).join('')}`);
}

function views(policies: NetworkPolicy[]): IndexedView {
  return viewOf(...NAMESPACES, ...policies);
}

describe('engine/connectivity: allowed() truth tables (pods x/a..z/c, TCP 80)', () => {
  const cases: { name: string; policies: NetworkPolicy[]; port?: TrafficPort; expect: (from: PodId, to: PodId) => boolean }[] = [
    { name: 'no policy: every pod reaches every pod', policies: [], expect: () => true },
    {
      name: 'deny-all ingress in x (podSelector {}, no rules): nothing reaches x, x reaches out',
      policies: [deny('x', ['Ingress'])],
      expect: (_f, t) => !t.startsWith('x/'),
    },
    { name: 'deny-all egress in x: x reaches nothing, not even itself', policies: [deny('x', ['Egress'])], expect: (f) => !f.startsWith('x/') },
    {
      name: 'deny-all ingress of x/a only: a podSelector isolates just the pods it selects',
      policies: [deny('x', ['Ingress'], pods('a'))],
      expect: (_f, t) => t !== 'x/a',
    },
    {
      name: 'a policy applies only to pods of its own namespace (a policy in y selecting pod=a leaves x/a and z/a alone)',
      policies: [deny('y', ['Ingress'], pods('a'))],
      expect: (_f, t) => t !== 'y/a',
    },
    {
      name: 'policyTypes omitted with egress rules means Ingress and Egress: x/a may only send to y, and nothing reaches it',
      policies: [netpol('x', 'np', { podSelector: pods('a'), egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] })],
      expect: (f, t) => t !== 'x/a' && (f !== 'x/a' || t.startsWith('y/')),
    },
    {
      name: 'policyTypes [Ingress] ignores egress rules: egress of x/a stays open',
      policies: [netpol('x', 'np', { podSelector: pods('a'), policyTypes: ['Ingress'], ingress: [{}], egress: [{ to: [{ podSelector: pods('b') }] }] })],
      expect: () => true,
    },
    {
      name: 'a rule without from admits every source',
      policies: [deny('x', ['Ingress']), allowIngress('x', 'all-in', pods('a'), [{}])],
      expect: (_f, t) => !t.startsWith('x/') || t === 'x/a',
    },
    {
      name: 'a podSelector-only peer stays in the policy namespace: only x/b reaches x/a',
      policies: [allowIngress('x', 'from-b', pods('a'), [{ from: [{ podSelector: pods('b') }] }])],
      expect: (f, t) => t !== 'x/a' || f === 'x/b',
    },
    {
      name: 'a namespaceSelector-only peer admits every pod of the selected namespaces',
      policies: [allowIngress('x', 'from-y', pods('a'), [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }])],
      expect: (f, t) => t !== 'x/a' || f.startsWith('y/'),
    },
    {
      name: 'namespaceSelector AND podSelector in one peer: only y/b',
      policies: [allowIngress('x', 'from-y-b', pods('a'), [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: pods('b') }] }])],
      expect: (f, t) => t !== 'x/a' || f === 'y/b',
    },
    {
      name: 'two peers are ORed: every pod of y, or b of the policy namespace',
      policies: [allowIngress('x', 'from-y-or-b', pods('a'), [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: pods('b') }] }])],
      expect: (f, t) => t !== 'x/a' || f.startsWith('y/') || f === 'x/b',
    },
    {
      name: 'NotIn on a namespace label is true where the key is missing: x and z (no team label), not y (team=red)',
      policies: [
        allowIngress('x', 'not-red', pods('a'), [
          { from: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['red'] }] } }] },
        ]),
      ],
      expect: (f, t) => t !== 'x/a' || !f.startsWith('y/'),
    },
    {
      name: 'NotIn on kubernetes.io/metadata.name: every namespace but the listed ones',
      policies: [
        allowIngress('x', 'not-y-z', pods('a'), [
          { from: [{ namespaceSelector: { matchExpressions: [{ key: NAME, operator: 'NotIn', values: ['y', 'z'] }] } }] },
        ]),
      ],
      expect: (f, t) => t !== 'x/a' || f.startsWith('x/'),
    },
    {
      name: 'DoesNotExist on a namespace label: only namespaces without it',
      policies: [
        allowIngress('x', 'no-team', pods('a'), [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] } }] }]),
      ],
      expect: (f, t) => t !== 'x/a' || !f.startsWith('y/'),
    },
    {
      name: 'an empty namespaceSelector with a podSelector: that pod in every namespace',
      policies: [allowIngress('x', 'any-c', pods('a'), [{ from: [{ namespaceSelector: {}, podSelector: pods('c') }] }])],
      expect: (f, t) => t !== 'x/a' || f.endsWith('/c'),
    },
    {
      name: 'policies are additive: two policies selecting x/a admit the union of their sources',
      policies: [
        allowIngress('x', 'from-b', pods('a'), [{ from: [{ podSelector: pods('b') }] }]),
        allowIngress('x', 'from-z', pods('a'), [{ from: [{ namespaceSelector: { matchLabels: { ns: 'z' } } }] }]),
      ],
      expect: (f, t) => t !== 'x/a' || f === 'x/b' || f.startsWith('z/'),
    },
    {
      name: 'egress AND ingress: x may send only to y, y/b admits only z, so x cannot reach y/b, z can',
      policies: [
        allowEgress('x', 'to-y', {}, [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }]),
        allowIngress('y', 'from-z', pods('b'), [{ from: [{ namespaceSelector: { matchLabels: { ns: 'z' } } }] }]),
      ],
      expect: (f, t) => (f.startsWith('x/') ? t.startsWith('y/') && t !== 'y/b' : t !== 'y/b' || f.startsWith('z/')),
    },
    {
      name: 'ports only narrow: a rule on TCP 81 does not admit TCP 80',
      policies: [allowIngress('x', 'on-81', pods('a'), [{ ports: [{ port: 81 }] }])],
      expect: (_f, t) => t !== 'x/a',
    },
    {
      name: 'the same rule admits TCP 81 from everyone',
      policies: [allowIngress('x', 'on-81', pods('a'), [{ ports: [{ port: 81 }] }])],
      port: { port: 81 },
      expect: () => true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const view = views(c.policies);
      const port = c.port ?? { port: 80, protocol: 'TCP' };
      assert.deepEqual(
        matrix((f, t) => allowed(podAt(f), podAt(t), port, view)),
        matrix(c.expect),
      );
    });
  }
});

describe('engine/connectivity: ports (y/b -> x/a, x/a isolated for ingress)', () => {
  const P = (port: number | string, protocol?: string): TrafficPort => (protocol ? { port, protocol } : { port });
  const cases: { name: string; ports: NetworkPolicyIngressRule['ports']; open: TrafficPort[]; closed: TrafficPort[] }[] = [
    { name: 'no ports field: every port of every protocol', ports: undefined, open: [P(80), P(65535, 'TCP'), P(53, 'UDP'), P(80, 'SCTP')], closed: [] },
    { name: 'ports: [] is the same as no ports field', ports: [], open: [P(80), P(1, 'UDP'), P(80, 'SCTP')], closed: [] },
    { name: 'port 80 without protocol means TCP 80', ports: [{ port: 80 }], open: [P(80, 'TCP')], closed: [P(81), P(80, 'UDP'), P(80, 'SCTP')] },
    {
      name: 'protocol-only UDP admits every UDP port and no TCP port',
      ports: [{ protocol: 'UDP' }],
      open: [P(1, 'UDP'), P(80, 'UDP'), P(65535, 'UDP')],
      closed: [P(80), P(80, 'SCTP')],
    },
    { name: 'protocol-only SCTP', ports: [{ protocol: 'SCTP' }], open: [P(80, 'SCTP'), P(9999, 'SCTP')], closed: [P(80), P(80, 'UDP')] },
    {
      name: 'endPort: port 80 to 81 is a range, both ends included',
      ports: [{ port: 80, endPort: 81 }],
      open: [P(80), P(81)],
      closed: [P(79), P(82), P(81, 'UDP')],
    },
    {
      name: 'endPort on UDP',
      ports: [{ protocol: 'UDP', port: 1000, endPort: 2000 }],
      open: [P(1000, 'UDP'), P(1500, 'UDP'), P(2000, 'UDP')],
      closed: [P(999, 'UDP'), P(2001, 'UDP'), P(1500)],
    },
    {
      name: 'entries are ORed: TCP 80 or UDP 81',
      ports: [{ port: 80 }, { port: 81, protocol: 'UDP' }],
      open: [P(80), P(81, 'UDP')],
      closed: [P(81), P(80, 'UDP')],
    },
    {
      name: 'a named port resolves against the destination pod: serve-81-tcp is TCP 81',
      ports: [{ port: 'serve-81-tcp' }],
      open: [P(81), P('serve-81-tcp')],
      closed: [P(80), P('serve-80-tcp'), P(81, 'UDP'), P('serve-81-udp', 'UDP')],
    },
    {
      name: 'a named UDP port needs protocol UDP in the policy: serve-80-udp is UDP 80',
      ports: [{ port: 'serve-80-udp', protocol: 'UDP' }],
      open: [P(80, 'UDP'), P('serve-80-udp', 'UDP')],
      closed: [P(80), P(81, 'UDP')],
    },
    {
      name: 'a named port with the wrong protocol matches nothing (serve-81-tcp is not UDP)',
      ports: [{ port: 'serve-81-tcp', protocol: 'UDP' }],
      open: [],
      closed: [P(81), P(81, 'UDP')],
    },
    { name: 'a named port the destination pod does not have matches nothing', ports: [{ port: 'serve-9999' }], open: [], closed: [P(80), P(9999)] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const view = views([
        allowIngress('x', 'np', pods('a'), [
          { from: [{ namespaceSelector: {}, podSelector: pods('b') }], ...(c.ports === undefined ? {} : { ports: c.ports }) },
        ]),
      ]);
      for (const p of c.open) assert.equal(allowed(podAt('y/b'), podAt('x/a'), p, view), true, `${p.protocol ?? 'TCP'} ${p.port} should be open`);
      for (const p of c.closed) assert.equal(allowed(podAt('y/b'), podAt('x/a'), p, view), false, `${p.protocol ?? 'TCP'} ${p.port} should be closed`);
    });
  }

  it('a traffic port named after a container port the destination lacks is never allowed, even with no policy', () => {
    assert.equal(allowed(podAt('y/b'), podAt('x/a'), { port: 'nope' }, views([])), false);
    assert.equal(allowed(podAt('y/b'), podAt('x/a'), { port: 'serve-80-tcp', protocol: 'UDP' }, views([])), false);
    assert.equal(allowed(podAt('y/b'), podAt('x/a'), { port: 'serve-80-udp', protocol: 'UDP' }, views([])), true);
  });

  describe('a named port on an egress rule resolves against the destination pod', () => {
    const view = views([
      allowEgress('x', 'udp-out', pods('a'), [
        { to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 'serve-80-udp', protocol: 'UDP' }] },
        { to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 'serve-80-udp', protocol: 'UDP' }] },
      ]),
    ]);
    const rows: { name: string; to: Endpoint; port: TrafficPort; want: boolean }[] = [
      { name: 'to y/b, which names UDP 80 serve-80-udp: UDP 80 open', to: podAt('y/b'), port: { port: 80, protocol: 'UDP' }, want: true },
      { name: 'to y/b: TCP 80 closed', to: podAt('y/b'), port: { port: 80 }, want: false },
      { name: 'to y/b by name', to: podAt('y/b'), port: { port: 'serve-80-udp', protocol: 'UDP' }, want: true },
      {
        name: 'to a y pod that declares no container ports: nothing',
        to: podAt('y/d', { containerPorts: [] }),
        port: { port: 80, protocol: 'UDP' },
        want: false,
      },
      {
        name: 'to a y pod that names UDP 5353 serve-80-udp: 5353, not 80',
        to: podAt('y/e', { containerPorts: [{ name: 'serve-80-udp', containerPort: 5353, protocol: 'UDP' }] }),
        port: { port: 5353, protocol: 'UDP' },
        want: true,
      },
      { name: 'to an address outside the pods: named ports match nothing', to: { ip: '203.0.113.7' }, port: { port: 80, protocol: 'UDP' }, want: false },
    ];
    for (const r of rows) it(r.name, () => assert.equal(allowed(podAt('x/a'), r.to, r.port, view), r.want));
  });
});

describe('engine/connectivity: ipBlock peers', () => {
  const view = views([
    allowIngress('x', 'from-net', pods('a'), [
      { from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.0/24'] } }, { ipBlock: { cidr: '2001:db8::/32' } }] },
    ]),
    allowEgress('x', 'to-partner', pods('a'), [{ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 443 }] }]),
  ]);
  const rows: { name: string; from: Endpoint; to: Endpoint; port?: number; want: boolean }[] = [
    { name: 'an address inside the cidr is admitted', from: { ip: '10.0.0.5' }, to: podAt('x/a'), want: true },
    { name: 'an address in an except is not', from: { ip: '10.0.1.5' }, to: podAt('x/a'), want: false },
    { name: 'an address outside the cidr is not', from: { ip: '10.1.0.1' }, to: podAt('x/a'), want: false },
    { name: 'IPv6 inside 2001:db8::/32', from: { ip: '2001:db8::1' }, to: podAt('x/a'), want: true },
    { name: 'IPv6 outside', from: { ip: '2001:db9::1' }, to: podAt('x/a'), want: false },
    {
      name: 'a pod whose IP is inside the cidr is admitted (ipBlock matches pod IPs too)',
      from: podAt('y/b', { ip: '10.0.2.2' }),
      to: podAt('x/a'),
      want: true,
    },
    { name: 'a pod without a known IP is not matched by an ipBlock', from: podAt('y/b'), to: podAt('x/a'), want: false },
    { name: 'an unisolated pod admits any address', from: { ip: '192.0.2.1' }, to: podAt('x/b'), want: true },
    { name: 'egress to an address in the block on its port', from: podAt('x/a'), to: { ip: '203.0.113.9' }, port: 443, want: true },
    { name: 'egress to the same address on another port', from: podAt('x/a'), to: { ip: '203.0.113.9' }, port: 80, want: false },
    { name: 'egress to an address outside the block', from: podAt('x/a'), to: { ip: '198.51.100.1' }, port: 443, want: false },
    { name: 'a garbage address matches no block', from: { ip: 'not-an-ip' }, to: podAt('x/a'), want: false },
  ];
  for (const r of rows) it(r.name, () => assert.equal(allowed(r.from, r.to, { port: r.port ?? 80 }, view), r.want));
});

describe('engine/connectivity: port sets', () => {
  const tcp = (s: number, e = s): PortSet => ({ numbers: new Map([['TCP', [[s, e] as const]]]), names: new Set() });
  const named = (key: string): PortSet => ({ numbers: new Map(), names: new Set([key]) });
  const rows: { name: string; got: () => string[]; want: string[] }[] = [
    { name: 'everything prints as "any port"', got: () => formatPorts(ALL_PORTS), want: ['any port'] },
    { name: 'nothing prints as nothing', got: () => formatPorts(NO_PORTS), want: [] },
    { name: 'union merges adjacent ranges', got: () => formatPorts(union(tcp(80, 89), tcp(90, 99))), want: ['TCP 80-99'] },
    { name: 'intersect keeps the overlap', got: () => formatPorts(intersect(tcp(80, 99), tcp(90, 120))), want: ['TCP 90-99'] },
    { name: 'subtract splits a range', got: () => formatPorts(subtract(tcp(80, 99), tcp(85))), want: ['TCP 80-84', 'TCP 86-99'] },
    { name: 'a protocol with every port prints with *', got: () => formatPorts(union(tcp(1, 65535), tcp(1))), want: ['TCP *'] },
    {
      name: 'a name of unknown number survives intersect with every port of its protocol',
      got: () => formatPorts(intersect(named('TCP/metrics'), ALL_PORTS)),
      want: ['TCP metrics'],
    },
    {
      name: 'but not intersect with a numbered range (its number is unknown)',
      got: () => formatPorts(intersect(named('TCP/metrics'), tcp(1, 9000))),
      want: [],
    },
  ];
  for (const r of rows) it(r.name, () => assert.deepEqual(r.got(), r.want));
  it('isSubset and isEmpty', () => {
    assert.ok(isSubset(tcp(80), tcp(1, 100)));
    assert.ok(!isSubset(tcp(80, 200), tcp(1, 100)));
    assert.ok(isEmpty(subtract(tcp(80), ALL_PORTS)));
    assert.ok(isEmpty(allowedPorts(podAt('x/a'), podAt('y/b'), views([deny('y', ['Ingress'])]))));
  });
});

describe('engine/connectivity: stages of the declared flow', () => {
  const examples = loadConfigFile('examples/stagewall.yaml');
  const exampleObjects = loadManifests(['examples/pipeline/manifests']);
  const summary = (view: IndexedView) =>
    stageFlow(examples, view).edges.map(
      (e) => `${e.from.id} -> ${e.to.id}: ${e.kind} ${formatPorts(e.kind === 'declared-blocked' ? e.blocked : e.allowed).join(', ')}`,
    );

  it('the examples: every declared edge allowed on its port, no backdoor', () => {
    assert.deepEqual(summary(buildStaticView(exampleObjects)), [
      'etl/extract -> etl/transform: declared-allowed TCP 8080',
      'etl/transform -> etl/load: declared-allowed TCP 8080',
    ]);
  });

  it('the examples without the transform stage policy: both edges through transform are blocked, each on its own side', () => {
    const view = buildStaticView(exampleObjects.filter((o) => o.object.metadata?.name !== 'stagewall-etl-transform'));
    assert.deepEqual(summary(view), ['etl/extract -> etl/transform: declared-blocked TCP 8080', 'etl/transform -> etl/load: declared-blocked TCP 8080']);
    const [into, out] = stageFlow(examples, view).edges;
    assert.deepEqual(
      [formatPorts(into!.pairs[0]!.egressBlocks!), formatPorts(into!.pairs[0]!.ingressBlocks!)],
      [[], ['TCP 8080']],
      'extract may send; transform does not admit',
    );
    assert.deepEqual(
      [formatPorts(out!.pairs[0]!.egressBlocks!), formatPorts(out!.pairs[0]!.ingressBlocks!)],
      [['TCP 8080'], []],
      'transform may not send; load admits',
    );
  });

  it('the examples with drift: a blocked edge and a backdoor', () => {
    const view = buildStaticView(loadManifests(['examples/pipeline/manifests', 'examples/drift/drift.yaml']));
    assert.deepEqual(summary(view), [
      'etl/extract -> etl/transform: declared-blocked TCP 8080',
      'etl/extract -> etl/load: undeclared-allowed TCP 8080',
      'etl/transform -> etl/load: declared-allowed TCP 8080',
    ]);
  });

  describe('stagePlacements: where representative pods run', () => {
    const config = makeConfig({
      exemptNamespaces: ['kube-system', 'quiet'],
      pipelines: [
        {
          name: 'etl',
          stages: [
            { name: 'a', namespace: 'etl-a' },
            { name: 'b', namespace: 'elsewhere' },
            { name: 'c', namespace: 'plain' },
            { name: 'd', namespace: 'quiet' },
            { name: 'e', namespace: 'other-pipeline' },
          ],
        },
        { name: 'ml', stages: [{ name: 'train' }] },
        { name: 'bi', stages: [{ name: 'dash' }] },
      ],
    });
    const view = viewOf(
      ns('etl-a', { pipeline: 'etl' }),
      ns('etl-z', { pipeline: 'etl' }),
      ns('plain'),
      ns('quiet', { pipeline: 'etl' }),
      ns('other-pipeline', { pipeline: 'ml' }),
      ns('ml', { pipeline: 'ml' }),
    );
    const placements = stagePlacements(config, view);
    const rows: [string, string, string[]][] = [
      ['its configured namespace, when the view has it as a namespace of its pipeline', 'etl/a', ['etl-a']],
      ['every namespace of its pipeline, sorted, when the view lacks the configured one', 'etl/b', ['etl-a', 'etl-z']],
      ['nowhere, when the configured namespace is in the view but not a pipeline namespace', 'etl/c', []],
      ['nowhere, when the configured namespace is exempt', 'etl/d', []],
      ['nowhere, when the configured namespace belongs to another pipeline', 'etl/e', []],
      ['the pipeline namespace by default (namespace = pipeline name)', 'ml/train', ['ml']],
      ['nowhere, when the view has no namespace of the pipeline', 'bi/dash', []],
    ];
    for (const [name, id, want] of rows) it(name, () => assert.deepEqual(placements.get(id), want));
  });

  it('representativePod: exactly the pipeline and stage labels, and the named ports it serves without numbers', () => {
    const config = makeConfig({
      labels: { pipeline: 'p.io/pipe', stage: 'p.io/step' },
      pipelines: [{ name: 'etl', stages: [{ name: 'a', ports: [8080, { port: 'metrics' }, { port: 'dns', protocol: 'UDP' }] }] }],
    });
    assert.deepEqual(representativePod(config.stages.get('etl/a')!, 'etl', config), {
      namespace: 'etl',
      labels: { 'p.io/pipe': 'etl', 'p.io/step': 'a' },
      containerPorts: [
        { name: 'metrics', protocol: 'TCP' },
        { name: 'dns', protocol: 'UDP' },
      ],
    });
    assert.deepEqual(formatPorts(servedPorts(config.stages.get('etl/a')!)!), ['TCP 8080', 'TCP metrics', 'UDP dns']);
  });

  describe('evaluateEdge: served ports', () => {
    const peer = (stage: string) => ({ namespaceSelector: { matchLabels: { [PIPELINE]: 'p' } }, podSelector: { matchLabels: { [STAGE]: stage } } });
    const namespaces = [ns('p', { pipeline: 'p' })];
    const out = (ports?: NetworkPolicyEgressRule['ports']) =>
      allowEgress('p', 'a-out', { matchLabels: { [STAGE]: 'a' } }, [{ to: [peer('b')], ...(ports ? { ports } : {}) }], ['Ingress', 'Egress']);
    const into = (ports?: NetworkPolicyIngressRule['ports']) =>
      allowIngress('p', 'b-in', { matchLabels: { [STAGE]: 'b' } }, [{ from: [peer('a')], ...(ports ? { ports } : {}) }], ['Ingress', 'Egress']);
    const rows: { name: string; serves?: unknown[]; policies: NetworkPolicy[]; kind: string; blocked?: string[]; sides?: [boolean, boolean] }[] = [
      { name: 'b serves nothing declared: any open port will do', policies: [out([{ port: 5432 }]), into()], kind: 'declared-allowed' },
      {
        name: 'b serves nothing declared and nothing is open: blocked on the empty side',
        policies: [out(), netpol('p', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })],
        kind: 'declared-blocked',
        sides: [false, true],
      },
      {
        name: 'b serves nothing declared, both sides open but on disjoint ports: blocked on both',
        policies: [out([{ port: 80 }]), into([{ port: 81 }])],
        kind: 'declared-blocked',
        sides: [true, true],
      },
      { name: 'b serves TCP 8080: a rule on every port lets it through', serves: [8080], policies: [out(), into()], kind: 'declared-allowed' },
      {
        name: 'b serves a range: blocked on the part the ingress leaves out',
        serves: [{ port: 7000, endPort: 7010 }],
        policies: [out(), into([{ port: 7000, endPort: 7005 }])],
        kind: 'declared-blocked',
        blocked: ['TCP 7006-7010'],
        sides: [false, true],
      },
      {
        name: 'b serves UDP 53: a TCP 53 rule blocks it',
        serves: [{ port: 53, protocol: 'UDP' }],
        policies: [out([{ port: 53 }]), into()],
        kind: 'declared-blocked',
        blocked: ['UDP 53'],
        sides: [true, false],
      },
      {
        name: 'b serves named port metrics: a rule naming it lets it through',
        serves: [{ port: 'metrics' }],
        policies: [out([{ port: 'metrics' }]), into([{ port: 'metrics' }])],
        kind: 'declared-allowed',
      },
      {
        name: 'b serves named port metrics: a protocol-only TCP rule lets it through',
        serves: [{ port: 'metrics' }],
        policies: [out([{ protocol: 'TCP' }]), into()],
        kind: 'declared-allowed',
      },
      {
        name: 'b serves named port metrics: a numbered rule cannot be shown to cover it (its number is unknown), so it is blocked',
        serves: [{ port: 'metrics' }],
        policies: [out([{ port: 9090 }]), into()],
        kind: 'declared-blocked',
        blocked: ['TCP metrics'],
        sides: [true, false],
      },
    ];
    for (const r of rows) {
      it(r.name, () => {
        const config = makeConfig({ pipelines: [{ name: 'p', stages: [{ name: 'a' }, { name: 'b', ...(r.serves ? { ports: r.serves } : {}) }] }] });
        const view = viewOf(...namespaces, ...r.policies);
        const edge = evaluateEdge(config.stages.get('p/a')!, config.stages.get('p/b')!, config, view);
        assert.equal(edge.kind, r.kind);
        if (r.blocked) assert.deepEqual(formatPorts(edge.blocked), r.blocked);
        if (r.sides) {
          const pair = edge.pairs[0]!;
          assert.deepEqual([!isEmpty(pair.egressBlocks!), !isEmpty(pair.ingressBlocks!)], r.sides);
        }
      });
    }
  });

  it('a declared edge with a stage that has no pipeline namespace in the view is unverified, not blocked', () => {
    const config = makeConfig({ pipelines: [{ name: 'p', stages: [{ name: 'a' }, { name: 'b' }] }] });
    assert.deepEqual(
      stageFlow(config, viewOf()).edges.map((e) => e.kind),
      ['declared-unverified'],
    );
  });

  it('self edges count: an undeclared stage that may talk to itself is a backdoor', () => {
    const config = makeConfig({ pipelines: [{ name: 'p', stages: [{ name: 'a' }, { name: 'b' }] }] });
    const flow = stageFlow(config, viewOf(ns('p', { pipeline: 'p' })));
    // No policy at all: every ordered pair is open, and only a -> b is declared.
    assert.deepEqual(
      flow.edges.map((e) => `${e.from.name}->${e.to.name} ${e.kind}`),
      ['a->a undeclared-allowed', 'a->b declared-allowed', 'b->a undeclared-allowed', 'b->b undeclared-allowed'],
    );
  });
});
