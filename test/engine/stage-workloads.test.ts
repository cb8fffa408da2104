// The declared flow judged on the real workloads of the view (graph, flow-blocked): policies that
// select pods by labels other than the stage label, and named ports, are seen through them; a
// stage without workloads keeps its representative pod, and the flow says which is which.
import { strict as assert } from 'node:assert';
import { checkObjects } from '../../src/cli/check.js';
import { loadConfigFile } from '../../src/config/load.js';
import { declaredFlow, stageFlow } from '../../src/engine/flow.js';
import { formatPorts } from '../../src/shared/ports.js';
import { makeConfig } from '../helpers/config.js';
import type { KubeObject, NetworkPolicySpec } from '../../src/engine/types.js';
import type { LoadedObject } from '../../src/manifests/load.js';
import { buildStaticView } from '../../src/manifests/view.js';

const config = loadConfigFile('examples/stagewall.yaml');
const PIPELINE = 'stagewall.dev/pipeline';
const STAGE = 'stagewall.dev/stage';
const at = { file: 't.yaml', line: 1 };
const loaded = (objects: KubeObject[]): LoadedObject[] => objects.map((object) => ({ object, source: at, judged: true }));
const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [PIPELINE]: 'etl' } } });
const deploy = (namespace: string, name: string, stage: string, ports: { name: string; containerPort: number }[] = []): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name, [STAGE]: stage } }, spec: { containers: [{ name: 'c', image: 'i', ports }] } },
  },
});
const np = (namespace: string, name: string, spec: NetworkPolicySpec): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});
const NAMESPACES = [ns('etl-extract'), ns('etl-transform'), ns('etl-load')];

function edges(objects: KubeObject[]): string[] {
  return stageFlow(config, buildStaticView(loaded(objects), 'default', config)).edges.map((e) => `${e.from.name}->${e.to.name} ${e.kind}`);
}

describe('engine/connectivity: the declared flow on the real workloads of the view', () => {
  // transform is isolated for ingress by a deny-all; an allow policy selects its pods by app label.
  const transformPolicies = [
    np('etl-transform', 'deny', { podSelector: {}, policyTypes: ['Ingress'] }),
    np('etl-transform', 'allow', {
      podSelector: { matchLabels: { app: 'transformer' } },
      ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'extractor' } } }], ports: [{ port: 'http' }] }],
    }),
  ];

  it('a policy selecting app: transformer lets the real pods through: the declared edge is allowed, not blocked', () => {
    const objects = [
      ...NAMESPACES,
      deploy('etl-extract', 'extractor', 'extract'),
      deploy('etl-transform', 'transformer', 'transform', [{ name: 'http', containerPort: 8080 }]),
      ...transformPolicies,
    ];
    assert.ok(edges(objects).includes('extract->transform declared-allowed'), edges(objects).join('\n'));
  });

  it('without workloads the same policies are judged on representative pods, which they do not select: blocked', () => {
    assert.ok(edges([...NAMESPACES, ...transformPolicies]).includes('extract->transform declared-blocked'));
  });

  it('a named port resolves through the real container port: the name on another number blocks the declared port 8080', () => {
    const objects = [
      ...NAMESPACES,
      deploy('etl-extract', 'extractor', 'extract'),
      deploy('etl-transform', 'transformer', 'transform', [{ name: 'http', containerPort: 9090 }]),
      ...transformPolicies,
    ];
    assert.ok(edges(objects).includes('extract->transform declared-blocked'), edges(objects).join('\n'));
  });

  it('a backdoor that only the real labels open (a peer naming app: extractor) is found', () => {
    const objects = [
      ...NAMESPACES,
      deploy('etl-extract', 'extractor', 'extract'),
      deploy('etl-load', 'loader', 'load'),
      np('etl-load', 'deny', { podSelector: {}, policyTypes: ['Ingress'] }),
      np('etl-load', 'side', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'extractor' } } }] }] }),
    ];
    assert.ok(edges(objects).includes('extract->load undeclared-allowed'), edges(objects).join('\n'));
    assert.ok(!edges([...NAMESPACES, ...objects.slice(5)]).includes('extract->load undeclared-allowed'));
  });

  it('the flow says per stage what it was judged on: its workloads, or none (a representative pod)', () => {
    const flow = stageFlow(config, buildStaticView(loaded([...NAMESPACES, deploy('etl-extract', 'extractor', 'extract')]), 'default', config));
    assert.deepEqual(
      [...flow.workloads],
      [
        ['etl/extract', ['etl-extract/extractor[Deployment]']],
        ['etl/transform', []],
        ['etl/load', []],
      ],
    );
  });

  it('check: flow-blocked judges the real pods too (no warning where the real pods get through)', () => {
    const objects = [
      ...NAMESPACES,
      deploy('etl-extract', 'extractor', 'extract'),
      deploy('etl-transform', 'transformer', 'transform', [{ name: 'http', containerPort: 8080 }]),
      ...transformPolicies,
    ];
    const rules = (objs: KubeObject[]) =>
      checkObjects(loaded(objs), config).results.flatMap((r) => r.decision.violations.filter((v) => v.rule === 'flow-blocked').map((v) => v.message));
    assert.ok(!rules(objects).some((m) => m.includes('extract -> etl/transform')), rules(objects).join('\n'));
    assert.ok(
      rules([...NAMESPACES, ...transformPolicies]).some((m) => m.includes('etl/extract -> etl/transform')),
      rules([...NAMESPACES, ...transformPolicies]).join('\n'),
    );
  });

  it("a blocked declared edge names the blocked port by the real pod's number when the stage serves a named port", () => {
    const named = makeConfig({
      pipelines: [
        {
          name: 'etl',
          stages: [
            { name: 'extract', namespace: 'etl-extract' },
            { name: 'transform', namespace: 'etl-transform', ports: [{ port: 'http' }, { port: 9000 }] },
            { name: 'load', namespace: 'etl-load' },
          ],
        },
      ],
    });
    const objects = [
      ...NAMESPACES,
      deploy('etl-extract', 'extractor', 'extract'),
      deploy('etl-transform', 'transformer', 'transform', [{ name: 'http', containerPort: 8080 }]),
      np('etl-transform', 'in', { podSelector: {}, ingress: [{ ports: [{ port: 8080 }] }] }),
    ];
    const edge = stageFlow(named, buildStaticView(loaded(objects), 'default', named)).edges.find(
      (e) => e.from.name === 'extract' && e.to.name === 'transform',
    )!;
    assert.equal(edge.kind, 'declared-blocked');
    assert.deepEqual(formatPorts(edge.blocked), ['TCP 9000']);
  });
});

describe('engine/flow: declaredFlow indexes its edges by the namespaces of their ends', () => {
  // flow-blocked asks for one namespace's edges per Namespace judged; the index keeps that
  // proportional to the namespace's own edges instead of scanning the whole flow each time.
  const view = buildStaticView(loaded(NAMESPACES), 'default', config);
  const flow = declaredFlow(config, view);
  const names = (namespace: string) => (flow.edgesByNamespace.get(namespace) ?? []).map((e) => `${e.from.name}->${e.to.name}`);
  const rows: { name: string; namespace: string; edges: string[] }[] = [
    { name: 'the first stage: only its outgoing edge', namespace: 'etl-extract', edges: ['extract->transform'] },
    { name: 'a middle stage: both its edges, in the order of the flow', namespace: 'etl-transform', edges: ['extract->transform', 'transform->load'] },
    { name: 'the last stage: only its incoming edge', namespace: 'etl-load', edges: ['transform->load'] },
    { name: 'a namespace no stage is placed in: none', namespace: 'warehouse', edges: [] },
  ];
  for (const row of rows) it(row.name, () => assert.deepEqual(names(row.namespace), row.edges));
  it('every edge is indexed under each namespace of its ends, and nowhere else', () => {
    for (const edge of flow.edges) {
      const ends = new Set([...(flow.placements.get(edge.from.id) ?? []), ...(flow.placements.get(edge.to.id) ?? [])]);
      for (const [namespace, list] of flow.edgesByNamespace)
        assert.equal(list.includes(edge), ends.has(namespace), `${edge.from.id}->${edge.to.id} in ${namespace}`);
    }
  });
});
