// Connectivity of real workloads, as `stagewall connectivity` lists it: one row per case, named
// after the Kubernetes (or netpol-analyzer) rule it pins; then a property test on random worlds:
// the listed pairs are exactly what the engine's own pod-to-pod reachability (allowedPorts with
// the namespace scan the rules use) says.
import { strict as assert } from 'node:assert';
import { formatAddress } from '../../src/shared/cidr.js';
import { allowedPorts } from '../../src/engine/reachability.js';
import { connectivityOf, externalRanges, formatConn } from '../../src/engine/connlist.js';
import { workloadsOf } from '../../src/engine/inventory.js';
import type { KubeObject, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec } from '../../src/engine/types.js';
import type { View } from '../../src/engine/view.js';
import type { LoadedObject } from '../../src/manifests/load.js';
import { buildStaticView } from '../../src/manifests/view.js';

const at = { file: 't.yaml', line: 1 };
const loaded = (objects: KubeObject[]): LoadedObject[] => objects.map((object) => ({ object, source: at, judged: object.kind !== 'ReplicationController' }));

type Port = { name?: string; containerPort: number; protocol?: string };
function pod(namespace: string, name: string, labels: Record<string, string>, ports: Port[] = [], extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels, ...extra }, spec: { containers: [{ name: 'c', image: 'i', ports }] } };
}
function deploy(kind: string, namespace: string, name: string, labels: Record<string, string>, ports: Port[] = []): KubeObject {
  const template = { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'i', ports }] } };
  const apiVersion = kind === 'Job' || kind === 'CronJob' ? 'batch/v1' : kind === 'ReplicationController' ? 'v1' : 'apps/v1';
  const spec = kind === 'CronJob' ? { schedule: '* * * * *', jobTemplate: { spec: { template } } } : { template };
  return { apiVersion, kind, metadata: { name, namespace }, spec };
}
const np = (namespace: string, name: string, spec: NetworkPolicySpec): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});
const owned = (kind: string, name: string, controller = true) => ({ ownerReferences: [{ apiVersion: 'apps/v1', kind, name, uid: 'u', controller }] });

function lines(objects: KubeObject[], options: { workloadsOnly?: boolean } = { workloadsOnly: true }): string[] {
  const items = loaded(objects);
  const view = buildStaticView(items);
  return connectivityOf(workloadsOf(objects, { view }), view, options).map((c) => `${c.src.id} => ${c.dst.id} : ${c.conn}`);
}

describe('engine/inventory: the workloads of the view', () => {
  const rows: { name: string; objects: KubeObject[]; want: string[] }[] = [
    { name: 'a Pod without owner is its own workload', objects: [pod('x', 'a', { app: 'a' })], want: ['x/a[Pod]'] },
    {
      name: "a pod's controller ownerReference names its workload, as written (the absent ReplicaSet keeps its hashed name); its pods are one workload",
      objects: [
        pod('x', 'web-7d9f-abc', { app: 'web' }, [], owned('ReplicaSet', 'web-7d9f')),
        pod('x', 'web-7d9f-def', { app: 'web' }, [], owned('ReplicaSet', 'web-7d9f')),
      ],
      want: ['x/web-7d9f[ReplicaSet]'],
    },
    {
      name: 'an ownerReference that is not the controller does not group the pod',
      objects: [pod('x', 'p', {}, [], owned('ReplicaSet', 'rs', false))],
      want: ['x/p[Pod]'],
    },
    {
      name: 'a static pod (owned by a Node) is its own workload',
      objects: [pod('kube-system', 'etcd-node1', {}, [], owned('Node', 'node1'))],
      want: ['kube-system/etcd-node1[Pod]'],
    },
    {
      name: 'the pod templates of Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job and CronJob are workloads',
      objects: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'].map((k) =>
        deploy(k, 'x', k.toLowerCase(), { app: k }),
      ),
      want: [
        'x/deployment[Deployment]',
        'x/statefulset[StatefulSet]',
        'x/daemonset[DaemonSet]',
        'x/replicaset[ReplicaSet]',
        'x/replicationcontroller[ReplicationController]',
        'x/job[Job]',
        'x/cronjob[CronJob]',
      ],
    },
    { name: 'an object without a namespace is in default', objects: [pod(undefined as unknown as string, 'a', {})], want: ['default/a[Pod]'] },
    {
      name: 'a ReplicaSet object and a pod it controls are one workload',
      objects: [deploy('ReplicaSet', 'x', 'rs', { app: 'r' }), pod('x', 'rs-1', { app: 'r' }, [], owned('ReplicaSet', 'rs'))],
      want: ['x/rs[ReplicaSet]'],
    },
  ];
  for (const r of rows)
    it(r.name, () =>
      assert.deepEqual(
        workloadsOf(r.objects).map((w) => w.id),
        r.want,
      ),
    );
});

describe('engine/connlist: connections between workloads', () => {
  const ingressOnly = (spec: NetworkPolicySpec) => np('x', 'p', { podSelector: { matchLabels: { app: 'b' } }, ...spec });
  const rows: { name: string; objects: KubeObject[]; want: string[] }[] = [
    {
      name: 'no policy: every workload reaches every other on everything, never itself',
      objects: [pod('x', 'a', { app: 'a' }), pod('y', 'b', { app: 'b' })],
      want: ['x/a[Pod] => y/b[Pod] : All Connections', 'y/b[Pod] => x/a[Pod] : All Connections'],
    },
    {
      name: 'a named port resolves to the destination container port of that name',
      objects: [
        pod('x', 'a', { app: 'a' }),
        pod('x', 'b', { app: 'b' }, [{ name: 'http', containerPort: 8080 }]),
        ingressOnly({ ingress: [{ ports: [{ port: 'http' }] }] }),
      ],
      want: ['x/a[Pod] => x/b[Pod] : TCP 8080', 'x/b[Pod] => x/a[Pod] : All Connections'],
    },
    {
      name: 'a named port the destination lacks allows nothing',
      objects: [
        pod('x', 'a', { app: 'a' }),
        pod('x', 'b', { app: 'b' }, [{ name: 'web', containerPort: 8080 }]),
        ingressOnly({ ingress: [{ ports: [{ port: 'http' }] }] }),
      ],
      want: ['x/b[Pod] => x/a[Pod] : All Connections'],
    },
    {
      name: "a named port whose container port has another protocol allows nothing (the rule's protocol defaults to TCP)",
      objects: [
        pod('x', 'a', { app: 'a' }),
        pod('x', 'b', { app: 'b' }, [{ name: 'dns', containerPort: 53, protocol: 'UDP' }]),
        ingressOnly({ ingress: [{ ports: [{ port: 'dns' }] }] }),
      ],
      want: ['x/b[Pod] => x/a[Pod] : All Connections'],
    },
    {
      name: 'a named port is the first container port of that name: a later one of the same name and the right protocol does not count',
      objects: [
        pod('x', 'a', { app: 'a' }),
        pod('x', 'b', { app: 'b' }, [
          { name: 'p', containerPort: 53, protocol: 'UDP' },
          { name: 'p', containerPort: 5353 },
        ]),
        ingressOnly({ ingress: [{ ports: [{ port: 'p' }] }] }),
      ],
      want: ['x/b[Pod] => x/a[Pod] : All Connections'],
    },
    {
      name: 'the same port name on different numbers across pods: each destination resolves its own (egress rule)',
      objects: [
        pod('x', 'a', { app: 'a' }),
        pod('x', 'b', { app: 'b' }, [{ name: 'http', containerPort: 8080 }]),
        pod('x', 'c', { app: 'c' }, [{ name: 'http', containerPort: 9090 }]),
        np('x', 'e', { podSelector: { matchLabels: { app: 'a' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'http' }] }] }),
      ],
      want: [
        'x/a[Pod] => x/b[Pod] : TCP 8080',
        'x/a[Pod] => x/c[Pod] : TCP 9090',
        'x/b[Pod] => x/a[Pod] : All Connections',
        'x/b[Pod] => x/c[Pod] : All Connections',
        'x/c[Pod] => x/a[Pod] : All Connections',
        'x/c[Pod] => x/b[Pod] : All Connections',
      ],
    },
    {
      name: 'endPort opens the range port..endPort',
      objects: [
        pod('x', 'a', { app: 'a' }),
        pod('x', 'b', { app: 'b' }),
        ingressOnly({
          ingress: [
            {
              ports: [
                { port: 8000, endPort: 8010 },
                { protocol: 'UDP', port: 53 },
              ],
            },
          ],
        }),
      ],
      want: ['x/a[Pod] => x/b[Pod] : TCP 8000-8010,UDP 53', 'x/b[Pod] => x/a[Pod] : All Connections'],
    },
    {
      name: 'egress AND ingress: protocols sorted by name, ranges merged ascending (SCTP 1-9002,9004-65535,TCP 80,UDP 53)',
      objects: [
        pod('x', 'a', { app: 'a' }),
        pod('x', 'b', { app: 'b' }),
        np('x', 'e', {
          podSelector: { matchLabels: { app: 'a' } },
          policyTypes: ['Egress'],
          egress: [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'SCTP' }, { port: 80 }] }],
        }),
        ingressOnly({
          ingress: [
            {
              ports: [
                { protocol: 'SCTP', port: 9004, endPort: 65535 },
                { protocol: 'SCTP', port: 1, endPort: 9000 },
                { protocol: 'SCTP', port: 9001, endPort: 9002 },
                { protocol: 'TCP' },
                { protocol: 'UDP' },
              ],
            },
          ],
        }),
      ],
      want: ['x/a[Pod] => x/b[Pod] : SCTP 1-9002,9004-65535,TCP 80,UDP 53', 'x/b[Pod] => x/a[Pod] : All Connections'],
    },
    {
      name: 'policyTypes omitted: Ingress, plus Egress because the policy has egress rules',
      objects: [
        pod('x', 'a', { app: 'a' }),
        pod('x', 'b', { app: 'b' }),
        np('x', 'p', { podSelector: { matchLabels: { app: 'b' } }, egress: [{ ports: [{ port: 443 }] }] }),
      ],
      want: ['x/b[Pod] => x/a[Pod] : TCP 443'],
    },
    {
      name: 'policyTypes [] and no egress rules: Ingress only',
      objects: [pod('x', 'a', { app: 'a' }), pod('x', 'b', { app: 'b' }), np('x', 'p', { podSelector: { matchLabels: { app: 'b' } }, policyTypes: [] })],
      want: ['x/b[Pod] => x/a[Pod] : All Connections'],
    },
    {
      name: 'policyTypes [Egress] with ingress rules: the ingress rules are ignored',
      objects: [
        pod('x', 'a', { app: 'a' }),
        pod('x', 'b', { app: 'b' }),
        np('x', 'p', { podSelector: { matchLabels: { app: 'b' } }, policyTypes: ['Egress'], ingress: [{ ports: [{ port: 1 }] }] }),
      ],
      want: ['x/a[Pod] => x/b[Pod] : All Connections'],
    },
    {
      name: 'a workload selected by labels other than the stage label (app: transform) is isolated by that policy',
      objects: [
        pod('etl', 'extract', { 'stagewall.dev/stage': 'extract', app: 'extract' }),
        deploy('Deployment', 'etl', 'transform', { 'stagewall.dev/stage': 'transform', app: 'transform' }, [{ name: 'http', containerPort: 8080 }]),
        np('etl', 'transform', {
          podSelector: { matchLabels: { app: 'transform' } },
          ingress: [{ from: [{ podSelector: { matchLabels: { app: 'extract' } } }], ports: [{ port: 'http' }] }],
        }),
      ],
      want: ['etl/extract[Pod] => etl/transform[Deployment] : TCP 8080', 'etl/transform[Deployment] => etl/extract[Pod] : All Connections'],
    },
    {
      name: 'an ipBlock never matches an in-cluster workload, even 0.0.0.0/0',
      objects: [pod('x', 'a', { app: 'a' }), pod('x', 'b', { app: 'b' }), ingressOnly({ ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] })],
      want: ['x/b[Pod] => x/a[Pod] : All Connections'],
    },
    {
      name: 'a namespaceSelector peer matches namespaces that are only mentioned, by kubernetes.io/metadata.name',
      objects: [
        pod('x', 'a', { app: 'a' }),
        pod('y', 'b', { app: 'b' }),
        np('y', 'p', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'x' } } }] }] }),
      ],
      want: ['x/a[Pod] => y/b[Pod] : All Connections', 'y/b[Pod] => x/a[Pod] : All Connections'],
    },
  ];
  for (const r of rows) it(r.name, () => assert.deepEqual(lines(r.objects), r.want));
});

describe('engine/connlist: the outside world as ranges', () => {
  it('no ipBlock: one range per direction, every IPv4 address, with [External] even for all of it', () => {
    assert.deepEqual(lines([pod('x', 'a', {})], {}), [
      '0.0.0.0-255.255.255.255[External] => x/a[Pod] : All Connections',
      'x/a[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections',
    ]);
  });
  it('sources are split by every ingress ipBlock (cidr minus excepts), destinations by every egress one; neighbours are not merged', () => {
    const got = lines(
      [
        pod('x', 'a', { app: 'a' }),
        np('x', 'in', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 80 }] }] }),
        np('x', 'in2', { podSelector: { matchLabels: { nothing: 'here' } }, ingress: [{ from: [{ ipBlock: { cidr: '192.168.0.1/32' } }] }] }),
        np('x', 'out', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }] }),
      ],
      {},
    );
    assert.deepEqual(got, [
      '10.0.0.0-10.0.255.255[External] => x/a[Pod] : TCP 80',
      '10.2.0.0-10.255.255.255[External] => x/a[Pod] : TCP 80',
      'x/a[Pod] => 0.0.0.0-9.255.255.255[External] : All Connections',
      'x/a[Pod] => 11.0.0.0-255.255.255.255[External] : All Connections',
    ]);
    const view = buildStaticView(
      loaded([
        np('x', 'in', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }] }),
        np('x', 'in2', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '192.168.0.1/32' } }] }] }),
      ]),
    );
    assert.deepEqual(
      externalRanges(view, 'ingress').map((r) => `${formatAddress(r.start, r.family)}-${formatAddress(r.end, r.family)}`),
      [
        '0.0.0.0-9.255.255.255',
        '10.0.0.0-10.0.255.255',
        '10.1.0.0-10.1.255.255',
        '10.2.0.0-10.255.255.255',
        '11.0.0.0-192.168.0.0',
        '192.168.0.1-192.168.0.1',
        '192.168.0.2-255.255.255.255',
      ],
    );
    assert.deepEqual(externalRanges(view, 'egress').length, 1);
  });
  it('an IPv6 ipBlock adds the IPv6 space, split the same way', () => {
    const got = lines([pod('x', 'a', {}), np('x', 'in', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '2001:db8::/32' } }] }] })], {});
    assert.ok(got.includes('2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff[External] => x/a[Pod] : All Connections'), got.join('\n'));
    assert.equal(got.filter((l) => l.endsWith('=> x/a[Pod] : All Connections')).length, 1);
  });
  it('formatConn: a fully open protocol is 1-65535, all three are All Connections', () => {
    const view = buildStaticView(loaded([pod('x', 'b', { app: 'b' }), np('x', 'p', { podSelector: {}, ingress: [{ ports: [{ protocol: 'UDP' }] }] })]));
    const [b] = workloadsOf([pod('x', 'b', { app: 'b' })]);
    assert.equal(formatConn(allowedPorts({ ip: '1.2.3.4' }, b!.endpoint, view)), 'UDP 1-65535');
  });
});

// ---------------------------------------------------------------------------------------------
// Property: connectivity's pairs equal the engine's own reachability, pair by pair.

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomWorld(seed: number): KubeObject[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const namespaces = ['x', 'y', 'z'];
  const values = ['a', 'b', 'c'];
  const labels = () => {
    const l: Record<string, string> = {};
    for (const k of ['app', 'tier', 'team']) if (r() < 0.6) l[k] = pick(values);
    return l;
  };
  const names = ['http', 'dns', 'metrics'];
  const objects: KubeObject[] = namespaces.map((n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n, labels: { env: pick(values) } } }));
  const count = 3 + Math.floor(r() * 5);
  for (let i = 0; i < count; i += 1) {
    const ports: Port[] = [];
    for (let p = Math.floor(r() * 3); p > 0; p -= 1)
      ports.push({ name: pick(names), containerPort: pick([53, 80, 8080, 9090]), ...(r() < 0.4 ? { protocol: pick(['UDP', 'TCP', 'SCTP']) } : {}) });
    objects.push(
      r() < 0.5
        ? pod(pick(namespaces), `p${i}`, labels(), ports)
        : deploy(pick(['Deployment', 'StatefulSet', 'CronJob']), pick(namespaces), `w${i}`, labels(), ports),
    );
  }
  const selector = () =>
    r() < 0.2
      ? {}
      : r() < 0.7
        ? { matchLabels: { [pick(['app', 'tier'])]: pick(values) } }
        : {
            matchExpressions: [{ key: pick(['app', 'team']), operator: pick(['In', 'NotIn', 'Exists', 'DoesNotExist']), ...(r() < 0.5 ? {} : {}) }].map((e) =>
              e.operator === 'In' || e.operator === 'NotIn' ? { ...e, values: [pick(values)] } : e,
            ),
          };
  const cidrs = ['10.0.0.0/8', '10.1.0.0/16', '192.168.1.0/24', '0.0.0.0/0', '172.16.0.0/12'];
  const peer = (): NetworkPolicyPeer => {
    const k = r();
    if (k < 0.25) {
      const cidr = pick(cidrs);
      return {
        ipBlock: {
          cidr,
          ...(cidr === '10.0.0.0/8' && r() < 0.5 ? { except: ['10.1.0.0/16'] } : cidr === '0.0.0.0/0' && r() < 0.5 ? { except: ['192.168.0.0/16'] } : {}),
        },
      };
    }
    if (k < 0.5) return { podSelector: selector() };
    if (k < 0.75)
      return { namespaceSelector: r() < 0.5 ? { matchLabels: { env: pick(values) } } : { matchLabels: { 'kubernetes.io/metadata.name': pick(namespaces) } } };
    return { namespaceSelector: selector(), podSelector: selector() };
  };
  const port = (): NetworkPolicyPort => {
    const k = r();
    if (k < 0.3) return { port: pick(names), ...(r() < 0.4 ? { protocol: pick(['UDP', 'TCP']) } : {}) };
    if (k < 0.6) return { port: pick([53, 80, 8080]), ...(r() < 0.3 ? { protocol: 'UDP' } : {}) };
    if (k < 0.8) return { port: 8000, endPort: pick([8080, 9090]) };
    return { protocol: pick(['TCP', 'UDP', 'SCTP']) };
  };
  const rules = () =>
    Array.from({ length: Math.floor(r() * 3) }, () => ({
      ...(r() < 0.8 ? { peers: Array.from({ length: 1 + Math.floor(r() * 2) }, peer) } : {}),
      ...(r() < 0.7 ? { ports: Array.from({ length: 1 + Math.floor(r() * 2) }, port) } : {}),
    }));
  const policies = Math.floor(r() * 6);
  for (let i = 0; i < policies; i += 1) {
    const ingress = rules().map(({ peers, ports }) => ({ ...(peers ? { from: peers } : {}), ...(ports ? { ports } : {}) }));
    const egress = rules().map(({ peers, ports }) => ({ ...(peers ? { to: peers } : {}), ...(ports ? { ports } : {}) }));
    const types = pick([undefined, [], ['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
    objects.push(np(pick(namespaces), `np${i}`, { podSelector: selector(), ingress, egress, ...(types ? { policyTypes: types } : {}) }));
  }
  return objects;
}

describe('engine/connlist: property: connectivity equals the engine pod-to-pod reachability on random worlds', () => {
  const SEEDS = 300;
  it(`${SEEDS} seeded worlds: every pair, workloads and outside ranges (each range checked at both ends)`, () => {
    let nonTrivial = 0;
    for (let seed = 1; seed <= SEEDS; seed += 1) {
      const objects = randomWorld(seed);
      const view: View = buildStaticView(loaded(objects));
      const workloads = workloadsOf(objects, { view });
      const got = new Map(connectivityOf(workloads, view).map((c) => [`${c.src.id} => ${c.dst.id}`, c.conn]));
      const want = new Map<string, string>();
      for (const a of workloads) {
        for (const b of workloads) {
          if (a === b) continue;
          const conn = formatConn(allowedPorts(a.endpoint, b.endpoint, view));
          if (conn !== '') want.set(`${a.id} => ${b.id}`, conn);
        }
      }
      for (const [direction, ranges] of [
        ['ingress', externalRanges(view, 'ingress')],
        ['egress', externalRanges(view, 'egress')],
      ] as const) {
        for (const range of ranges) {
          const id = `${formatAddress(range.start, range.family)}-${formatAddress(range.end, range.family)}[External]`;
          for (const w of workloads) {
            const ends = [range.start, range.end].map((a) => ({ ip: formatAddress(a, range.family) }));
            const conns = ends.map((ip) => formatConn(direction === 'ingress' ? allowedPorts(ip, w.endpoint, view) : allowedPorts(w.endpoint, ip, view)));
            assert.equal(conns[0], conns[1], `seed ${seed}: ${id} is not one range for ${w.id}`);
            if (conns[0] !== '') want.set(direction === 'ingress' ? `${id} => ${w.id}` : `${w.id} => ${id}`, conns[0]!);
          }
        }
      }
      assert.deepEqual([...got].sort(), [...want].sort(), `seed ${seed}`);
      if ([...want.values()].some((c) => c !== 'All Connections')) nonTrivial += 1;
    }
    assert.ok(nonTrivial > SEEDS / 3, `only ${nonTrivial} worlds restrict anything`);
  });
});

describe('engine/connlist: scaling (operation counts, not clocks)', () => {
  // 30 workloads in one namespace, each selected by one policy; then policies that select apps no
  // workload has. Scanning the namespace per pair would cost pairs × policies; the index by
  // selector key meets each workload with its own policies only.
  const world = (idle: number): KubeObject[] => {
    const objects: KubeObject[] = [];
    for (let i = 0; i < 30; i += 1) {
      objects.push(pod('x', `w${i}`, { app: `w${i}` }, [{ name: 'http', containerPort: 8000 + i }]));
      objects.push(
        np('x', `p${i}`, {
          podSelector: { matchLabels: { app: `w${i}` } },
          ingress: [{ from: [{ podSelector: { matchLabels: { app: `w${(i + 1) % 30}` } } }], ports: [{ port: 'http' }] }],
        }),
      );
    }
    for (let i = 0; i < idle; i += 1) objects.push(np('x', `idle${i}`, { podSelector: { matchLabels: { app: `none${i}` } }, ingress: [{}] }));
    return objects;
  };
  const listed = (objects: KubeObject[]) => {
    const view = buildStaticView(loaded(objects));
    const workloads = workloadsOf(objects, { view });
    return () => void connectivityOf(workloads, view, { workloadsOnly: true });
  };
  it('8× more policies that select no workload cost less than 2× the operations (policies indexed by selector key)', async () => {
    const { countOperations } = await import('./op-count.js');
    const small = listed(world(100));
    const large = listed(world(800));
    small();
    const a = countOperations(small);
    const b = countOperations(large);
    assert.ok(a > 0);
    assert.ok(b / a < 2, `operations grew × ${(b / a).toFixed(2)} (${a} -> ${b})`);
  });
});
