import { strict as assert } from 'node:assert';
import type { StagewallConfig } from '../../src/config/model.js';
import { parseCidr } from '../../src/shared/cidr.js';
import { describeAllowed, describeTarget, pipelineOfNamespace, resolvePeer, stagesMatching, targetAllowed, type Target } from '../../src/engine/peers.js';
import { compilePolicy, type CompiledPeer, type Direction } from '../../src/engine/policies.js';
import { compileSelector } from '../../src/engine/selectors.js';
import type { LabelSelector, NetworkPolicyPeer } from '../../src/engine/types.js';
import { IndexedView, syntheticNamespace } from '../../src/engine/view.js';
import { NAMESPACE_NAME_LABEL } from '../../src/shared/names.js';
import { ETL_PIPELINE, etlConfig, makeConfig } from '../helpers/config.js';

const PIPELINE = 'stagewall.dev/pipeline';
const STAGE = 'stagewall.dev/stage';
const NAME = NAMESPACE_NAME_LABEL;

/** etl (extract → transform → load) and a second pipeline, report (collect → render). */
const CONFIG = etlConfig({
  pipelines: [ETL_PIPELINE, { name: 'report', stages: [{ name: 'collect', ingressFrom: ['etl/load'] }, { name: 'render' }] }],
});
const NO_DNS = etlConfig({ defaultDeny: { allowDNS: false } });

function viewOf(namespaces: Record<string, Record<string, string>>): IndexedView {
  const view = new IndexedView();
  for (const [name, labels] of Object.entries(namespaces)) view.upsertNamespace({ kind: 'Namespace', metadata: { name, labels } });
  return view;
}

const VIEW = viewOf({
  etl: { [PIPELINE]: 'etl' },
  'etl-b': { [PIPELINE]: 'etl' },
  rep: { [PIPELINE]: 'report' },
  warehouse: { team: 'data' },
  monitoring: { team: 'ops' },
  'kube-system': {},
  legacy: { [PIPELINE]: 'ghost' }, // names no declared pipeline: not a pipeline namespace
});

function peer(p: NetworkPolicyPeer): CompiledPeer {
  const compiled = compilePolicy({ metadata: { name: 'np', namespace: 'x' }, spec: { ingress: [{ from: [p] }] } }).ingressRules[0]?.peers[0];
  assert.ok(compiled);
  return compiled;
}

/** Targets as short strings: `stage etl/load@etl`, `stage etl/load@*`, `ns warehouse`, `any-namespace`, `dns`, `external 10.0.0.0/8`. */
function show(t: Target): string {
  switch (t.kind) {
    case 'stage':
      return `stage ${t.stage.id}@${t.namespace ?? '*'}`;
    case 'namespace':
      return `ns ${t.namespace}`;
    case 'external':
      return `external ${t.text}`;
    default:
      return t.kind;
  }
}

const stageSel = (...names: string[]): LabelSelector =>
  names.length === 1 ? { matchLabels: { [STAGE]: names[0] ?? '' } } : { matchExpressions: [{ key: STAGE, operator: 'In', values: names }] };
const named = (...names: string[]): LabelSelector =>
  names.length === 1 ? { matchLabels: { [NAME]: names[0] ?? '' } } : { matchExpressions: [{ key: NAME, operator: 'In', values: names }] };
const ALL_STAGES = ['etl/extract', 'etl/transform', 'etl/load', 'report/collect', 'report/render'].map((id) => `stage ${id}@*`);

describe('engine/peers: resolvePeer', () => {
  const cases: { name: string; peer: NetworkPolicyPeer; policyNamespace?: string; config?: StagewallConfig; want: string[] }[] = [
    // podSelector only: the policy's own namespace
    {
      name: 'a podSelector-only peer stays in the policy namespace (every stage of it)',
      peer: { podSelector: {} },
      want: ['stage etl/extract@etl', 'stage etl/transform@etl', 'stage etl/load@etl'],
    },
    { name: 'a podSelector-only peer narrows to the selected stage', peer: { podSelector: stageSel('load') }, want: ['stage etl/load@etl'] },
    {
      name: 'a podSelector-only peer with In narrows to those stages',
      peer: { podSelector: stageSel('extract', 'load') },
      want: ['stage etl/extract@etl', 'stage etl/load@etl'],
    },
    {
      name: 'a podSelector-only peer never leaves the namespace (not etl-b)',
      peer: { podSelector: stageSel('load') },
      policyNamespace: 'etl-b',
      want: ['stage etl/load@etl-b'],
    },
    { name: 'a podSelector-only peer naming no stage of the pipeline matches nothing', peer: { podSelector: stageSel('nope') }, want: [] },
    {
      name: 'a podSelector-only peer pinning another pipeline matches nothing here',
      peer: { podSelector: { matchLabels: { [PIPELINE]: 'report' } } },
      want: [],
    },
    {
      name: 'a podSelector-only peer in a policy of a non-pipeline namespace is that namespace',
      peer: { podSelector: {} },
      policyNamespace: 'warehouse',
      want: ['ns warehouse'],
    },
    {
      name: 'policies in another namespace resolve there: a namespace unknown to the view is synthesized',
      peer: { podSelector: { matchLabels: { app: 'x' } } },
      policyNamespace: 'web',
      want: ['ns web'],
    },
    {
      name: 'an unsatisfiable podSelector in a non-pipeline namespace matches nothing',
      peer: {
        podSelector: {
          matchExpressions: [
            { key: 'a', operator: 'Exists' },
            { key: 'a', operator: 'DoesNotExist' },
          ],
        },
      },
      policyNamespace: 'warehouse',
      want: [],
    },
    {
      name: 'an exempt namespace is not a pipeline namespace even with the label',
      peer: { podSelector: {} },
      policyNamespace: 'kube-system',
      config: etlConfig({ exemptNamespaces: ['kube-system', 'etl'] }),
      want: ['ns kube-system'],
    },
    // namespaceSelector AND podSelector
    {
      name: 'namespaceSelector and podSelector in one peer are ANDed (named pipeline namespace)',
      peer: { namespaceSelector: named('etl'), podSelector: stageSel('extract') },
      policyNamespace: 'rep',
      want: ['stage etl/extract@etl'],
    },
    {
      name: 'ANDed: a namespace whose labels fail the selector contributes nothing',
      peer: { namespaceSelector: { matchLabels: { [NAME]: 'etl', team: 'data' } }, podSelector: {} },
      want: [],
    },
    {
      name: 'ANDed: a namespaceSelector alone selects every pod of the matched namespace',
      peer: { namespaceSelector: named('warehouse') },
      want: ['ns warehouse'],
    },
    {
      name: 'a namespace in the view with the pipeline label resolves to stage targets',
      peer: { namespaceSelector: named('etl-b'), podSelector: stageSel('transform', 'load') },
      want: ['stage etl/transform@etl-b', 'stage etl/load@etl-b'],
    },
    {
      name: 'several pinned names resolve each',
      peer: { namespaceSelector: named('etl-b', 'warehouse'), podSelector: stageSel('load') },
      want: ['stage etl/load@etl-b', 'ns warehouse'],
    },
    {
      name: 'a pinned name less a NotIn is not resolved',
      peer: {
        namespaceSelector: {
          matchExpressions: [
            { key: NAME, operator: 'In', values: ['etl-b', 'warehouse'] },
            { key: NAME, operator: 'NotIn', values: ['warehouse'] },
          ],
        },
      },
      want: ['stage etl/extract@etl-b', 'stage etl/transform@etl-b', 'stage etl/load@etl-b'],
    },
    {
      name: 'a namespace pinned by name that the view lacks is synthesized (non-pipeline target)',
      peer: { namespaceSelector: named('payments') },
      want: ['ns payments'],
    },
    { name: 'a namespace labelled with an undeclared pipeline is a non-pipeline namespace', peer: { namespaceSelector: named('legacy') }, want: ['ns legacy'] },
    {
      name: 'ANDed: a podSelector no pod of a non-pipeline namespace can satisfy matches nothing',
      peer: {
        namespaceSelector: named('warehouse'),
        podSelector: {
          matchExpressions: [
            { key: 'a', operator: 'In', values: ['x'] },
            { key: 'a', operator: 'NotIn', values: ['x'] },
          ],
        },
      },
      want: [],
    },
    // every namespace
    {
      name: 'namespaceSelector {} means every namespace: stages of every pipeline and any namespace',
      peer: { namespaceSelector: {} },
      want: [...ALL_STAGES, 'any-namespace'],
    },
    {
      name: 'namespaceSelector {} with a stage podSelector: that stage of every pipeline that has it, and any namespace',
      peer: { namespaceSelector: {}, podSelector: stageSel('load') },
      want: ['stage etl/load@*', 'any-namespace'],
    },
    {
      name: 'namespaceSelector {} with a podSelector pinning pipeline and stage: that stage, and any namespace (its pods may carry the labels too)',
      peer: { namespaceSelector: {}, podSelector: { matchLabels: { [PIPELINE]: 'report', [STAGE]: 'render' } } },
      want: ['stage report/render@*', 'any-namespace'],
    },
    {
      name: 'NotIn on the namespace name pins nothing: every pipeline and any namespace',
      peer: { namespaceSelector: { matchExpressions: [{ key: NAME, operator: 'NotIn', values: ['etl'] }] }, podSelector: stageSel('extract') },
      want: ['stage etl/extract@*', 'any-namespace'],
    },
    {
      name: 'DoesNotExist on the namespace name matches no namespace (every namespace has it)',
      peer: { namespaceSelector: { matchExpressions: [{ key: NAME, operator: 'DoesNotExist' }] } },
      want: [],
    },
    {
      name: 'a namespaceSelector on the pipeline label: stages of that pipeline only',
      peer: { namespaceSelector: { matchLabels: { [PIPELINE]: 'etl' } }, podSelector: stageSel('load') },
      want: ['stage etl/load@*'],
    },
    {
      name: 'a namespaceSelector on the pipeline label, any stage',
      peer: { namespaceSelector: { matchLabels: { [PIPELINE]: 'report' } } },
      want: ['stage report/collect@*', 'stage report/render@*'],
    },
    {
      name: 'pipeline label NotIn [etl]: other pipelines and non-pipeline namespaces',
      peer: { namespaceSelector: { matchExpressions: [{ key: PIPELINE, operator: 'NotIn', values: ['etl'] }] } },
      want: ['stage report/collect@*', 'stage report/render@*', 'any-namespace'],
    },
    {
      name: 'pipeline label DoesNotExist: only non-pipeline namespaces',
      peer: { namespaceSelector: { matchExpressions: [{ key: PIPELINE, operator: 'DoesNotExist' }] } },
      want: ['any-namespace'],
    },
    {
      name: 'pipeline label pinned to an undeclared pipeline may match a non-pipeline namespace',
      peer: { namespaceSelector: { matchLabels: { [PIPELINE]: 'ghost' } } },
      want: ['any-namespace'],
    },
    {
      name: 'pipeline label Exists: every pipeline and namespaces labelled with an undeclared one',
      peer: { namespaceSelector: { matchExpressions: [{ key: PIPELINE, operator: 'Exists' }] }, podSelector: stageSel('render') },
      want: ['stage report/render@*', 'any-namespace'],
    },
    {
      name: 'pipeline label In [etl, ghost]: etl stages and the undeclared one',
      peer: { namespaceSelector: { matchExpressions: [{ key: PIPELINE, operator: 'In', values: ['etl', 'ghost'] }] }, podSelector: stageSel('extract') },
      want: ['stage etl/extract@*', 'any-namespace'],
    },
    {
      name: 'a label selector on other labels may match future namespaces of every kind',
      peer: { namespaceSelector: { matchLabels: { team: 'data' } } },
      want: [...ALL_STAGES, 'any-namespace'],
    },
    // DNS
    {
      name: 'kube-system + podSelector k8s-app=kube-dns is the dns target',
      peer: { namespaceSelector: named('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
      want: ['dns'],
    },
    {
      name: 'kube-dns pinned with In is the dns target',
      peer: { namespaceSelector: named('kube-system'), podSelector: { matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns'] }] } },
      want: ['dns'],
    },
    {
      name: 'kube-dns pinned by In less NotIn of the other value is the dns target',
      peer: {
        namespaceSelector: named('kube-system'),
        podSelector: {
          matchExpressions: [
            { key: 'k8s-app', operator: 'In', values: ['kube-dns', 'metrics'] },
            { key: 'k8s-app', operator: 'NotIn', values: ['metrics'] },
          ],
        },
      },
      want: ['dns'],
    },
    {
      name: 'kube-system with a podSelector that may match more than kube-dns is the namespace',
      peer: {
        namespaceSelector: named('kube-system'),
        podSelector: { matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns', 'metrics'] }] },
      },
      want: ['ns kube-system'],
    },
    { name: 'kube-system with no podSelector is the whole namespace, not dns', peer: { namespaceSelector: named('kube-system') }, want: ['ns kube-system'] },
    {
      name: 'k8s-app=kube-dns in another namespace is not dns',
      peer: { namespaceSelector: named('warehouse'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
      want: ['ns warehouse'],
    },
    // ipBlock
    { name: 'ipBlock is an external target with its ranges', peer: { ipBlock: { cidr: '203.0.113.0/24' } }, want: ['external 203.0.113.0/24'] },
    { name: 'ipBlock with except keeps the cidr text', peer: { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }, want: ['external 10.0.0.0/8'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = resolvePeer(peer(c.peer), c.policyNamespace ?? 'etl', VIEW, c.config ?? CONFIG).map(show);
      assert.deepEqual(got, c.want);
    });
  }

  it('a namespace unknown to the view but pinned by name is resolved against an empty view too', () => {
    const got = resolvePeer(
      peer({ namespaceSelector: named('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }),
      'etl',
      new IndexedView(),
      CONFIG,
    ).map(show);
    assert.deepEqual(got, ['dns']);
  });

  it('an ipBlock target carries the admitted ranges (cidr minus except)', () => {
    const [t] = resolvePeer(peer({ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/9'] } }), 'etl', VIEW, CONFIG);
    assert.equal(t?.kind, 'external');
    if (t?.kind !== 'external') return;
    const upper = parseCidr('10.128.0.0/9');
    assert.deepEqual(t.ranges, [{ family: 4, start: upper.start, end: upper.end }]);
  });

  it('custom pipeline and stage labels from the config are honoured', () => {
    const config = makeConfig({
      labels: { pipeline: 'example.com/pipe', stage: 'example.com/step' },
      pipelines: [{ name: 'etl', stages: [{ name: 'a' }, { name: 'b' }] }],
    });
    const view = viewOf({ etl: { 'example.com/pipe': 'etl' } });
    assert.deepEqual(resolvePeer(peer({ podSelector: { matchLabels: { 'example.com/step': 'b' } } }), 'etl', view, config).map(show), ['stage etl/b@etl']);
    // The default stage label means nothing under custom labels: it may be on any stage's pods.
    assert.deepEqual(resolvePeer(peer({ podSelector: { matchLabels: { [STAGE]: 'b' } } }), 'etl', view, config).map(show), [
      'stage etl/a@etl',
      'stage etl/b@etl',
    ]);
  });
});

describe('engine/peers: stagesMatching', () => {
  const etl = CONFIG.pipelines.get('etl');
  const cases: { name: string; selector: LabelSelector | undefined; want: string[] }[] = [
    { name: 'no selector: every stage', selector: undefined, want: ['extract', 'transform', 'load'] },
    { name: 'the empty selector: every stage', selector: {}, want: ['extract', 'transform', 'load'] },
    { name: 'a stage label: that stage', selector: stageSel('transform'), want: ['transform'] },
    { name: 'stage In: those stages, in declaration order', selector: stageSel('load', 'extract'), want: ['extract', 'load'] },
    { name: 'stage NotIn: the others', selector: { matchExpressions: [{ key: STAGE, operator: 'NotIn', values: ['load'] }] }, want: ['extract', 'transform'] },
    { name: 'stage DoesNotExist: none (pipeline pods carry a stage)', selector: { matchExpressions: [{ key: STAGE, operator: 'DoesNotExist' }] }, want: [] },
    { name: 'stage Exists: every stage', selector: { matchExpressions: [{ key: STAGE, operator: 'Exists' }] }, want: ['extract', 'transform', 'load'] },
    { name: 'an unrelated label may be on any stage', selector: { matchLabels: { app: 'x' } }, want: ['extract', 'transform', 'load'] },
    { name: 'the pipeline label of this pipeline keeps every stage', selector: { matchLabels: { [PIPELINE]: 'etl' } }, want: ['extract', 'transform', 'load'] },
    { name: 'the pipeline label of another pipeline: none', selector: { matchLabels: { [PIPELINE]: 'report' } }, want: [] },
    { name: 'a stage name of another pipeline: none', selector: stageSel('render'), want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.ok(etl);
      const selector = c.selector === undefined ? undefined : compileSelector(c.selector);
      assert.deepEqual(
        stagesMatching(selector, etl, CONFIG).map((s) => s.name),
        c.want,
      );
    });
  }
});

describe('engine/peers: pipelineOfNamespace', () => {
  const cases: { name: string; ns: string | undefined; labels?: Record<string, string>; config?: StagewallConfig; want: string | undefined }[] = [
    { name: 'a namespace labelled with a declared pipeline belongs to it', ns: 'etl', labels: { [PIPELINE]: 'etl' }, want: 'etl' },
    { name: 'the namespace name does not matter, the label does', ns: 'anything', labels: { [PIPELINE]: 'report' }, want: 'report' },
    { name: 'a namespace named like a pipeline but unlabelled is not a pipeline namespace', ns: 'etl', labels: {}, want: undefined },
    { name: 'an undeclared pipeline name is not a pipeline namespace', ns: 'legacy', labels: { [PIPELINE]: 'ghost' }, want: undefined },
    { name: 'an exempt namespace is never a pipeline namespace', ns: 'kube-system', labels: { [PIPELINE]: 'etl' }, want: undefined },
    { name: 'no namespace: none', ns: undefined, want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const info = c.ns === undefined ? undefined : { name: c.ns, labels: { ...(c.labels ?? {}), [NAME]: c.ns }, annotations: {} };
      assert.equal(pipelineOfNamespace(info, c.config ?? CONFIG)?.name, c.want);
    });
  }
});

describe('engine/peers: targetAllowed', () => {
  const stage = (config: StagewallConfig, id: string) => {
    const s = config.stages.get(id);
    assert.ok(s, id);
    return s;
  };
  const stageTarget = (config: StagewallConfig, id: string, namespace?: string): Target => ({
    kind: 'stage',
    stage: stage(config, id),
    ...(namespace ? { namespace } : {}),
  });
  const cases: { name: string; target: (c: StagewallConfig) => Target; stage: string; direction: Direction; config?: StagewallConfig; want: boolean }[] = [
    { name: 'linear flow: extract sends to transform', target: (c) => stageTarget(c, 'etl/transform'), stage: 'etl/extract', direction: 'egress', want: true },
    {
      name: 'linear flow: extract does not send to load (no skipping)',
      target: (c) => stageTarget(c, 'etl/load'),
      stage: 'etl/extract',
      direction: 'egress',
      want: false,
    },
    {
      name: 'linear flow: transform receives from extract',
      target: (c) => stageTarget(c, 'etl/extract', 'etl'),
      stage: 'etl/transform',
      direction: 'ingress',
      want: true,
    },
    {
      name: 'linear flow: transform does not receive from load (no backflow)',
      target: (c) => stageTarget(c, 'etl/load', 'etl'),
      stage: 'etl/transform',
      direction: 'ingress',
      want: false,
    },
    {
      name: 'a stage does not talk to itself unless declared',
      target: (c) => stageTarget(c, 'etl/transform'),
      stage: 'etl/transform',
      direction: 'egress',
      want: false,
    },
    {
      name: 'cross-pipeline: load sends to report/collect (declared on the receiving end)',
      target: (c) => stageTarget(c, 'report/collect'),
      stage: 'etl/load',
      direction: 'egress',
      want: true,
    },
    {
      name: 'cross-pipeline: report/collect receives from etl/load',
      target: (c) => stageTarget(c, 'etl/load'),
      stage: 'report/collect',
      direction: 'ingress',
      want: true,
    },
    {
      name: 'cross-pipeline: report/render does not receive from etl/load',
      target: (c) => stageTarget(c, 'etl/load'),
      stage: 'report/render',
      direction: 'ingress',
      want: false,
    },
    {
      name: 'egressNamespaces: load may reach warehouse',
      target: () => ({ kind: 'namespace', namespace: 'warehouse' }),
      stage: 'etl/load',
      direction: 'egress',
      want: true,
    },
    {
      name: 'egressNamespaces: load may not reach another namespace',
      target: () => ({ kind: 'namespace', namespace: 'web' }),
      stage: 'etl/load',
      direction: 'egress',
      want: false,
    },
    {
      name: 'egressNamespaces do not allow ingress from that namespace',
      target: () => ({ kind: 'namespace', namespace: 'warehouse' }),
      stage: 'etl/load',
      direction: 'ingress',
      want: false,
    },
    {
      name: 'ingressNamespaces: load may be reached from monitoring',
      target: () => ({ kind: 'namespace', namespace: 'monitoring' }),
      stage: 'etl/load',
      direction: 'ingress',
      want: true,
    },
    {
      name: 'ingressNamespaces do not allow egress to that namespace',
      target: () => ({ kind: 'namespace', namespace: 'monitoring' }),
      stage: 'etl/load',
      direction: 'egress',
      want: false,
    },
    { name: 'any-namespace is never allowed (egress)', target: () => ({ kind: 'any-namespace' }), stage: 'etl/load', direction: 'egress', want: false },
    { name: 'any-namespace is never allowed (ingress)', target: () => ({ kind: 'any-namespace' }), stage: 'etl/load', direction: 'ingress', want: false },
    { name: 'dns is allowed for egress when allowDNS', target: () => ({ kind: 'dns' }), stage: 'etl/transform', direction: 'egress', want: true },
    {
      name: 'dns is not allowed for egress without allowDNS',
      target: () => ({ kind: 'dns' }),
      stage: 'etl/transform',
      direction: 'egress',
      config: NO_DNS,
      want: false,
    },
    { name: 'dns as an ingress source is not allowed by allowDNS', target: () => ({ kind: 'dns' }), stage: 'etl/transform', direction: 'ingress', want: false },
    {
      name: 'dns is allowed without allowDNS when kube-system is an egressNamespace',
      target: () => ({ kind: 'dns' }),
      stage: 'etl/extract',
      direction: 'egress',
      config: etlConfig({ defaultDeny: { allowDNS: false }, pipelines: [{ name: 'etl', stages: [{ name: 'extract', egressNamespaces: ['kube-system'] }] }] }),
      want: true,
    },
    {
      name: 'external targets are left to the *-external rules',
      target: () => ({ kind: 'external', ranges: [], text: '0.0.0.0/0' }),
      stage: 'etl/transform',
      direction: 'egress',
      want: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const config = c.config ?? CONFIG;
      assert.equal(targetAllowed(c.target(config), stage(config, c.stage), c.direction, config), c.want);
    });
  }
});

describe('engine/peers: ingress across two policies and policies in another namespace', () => {
  const view = viewOf({ etl: { [PIPELINE]: 'etl' }, rep: { [PIPELINE]: 'report' }, 'kube-system': {} });
  view.upsertPolicy({
    metadata: { name: 'from-extract', namespace: 'etl' },
    spec: { podSelector: stageSel('transform'), ingress: [{ from: [{ podSelector: stageSel('extract') }] }] },
  });
  view.upsertPolicy({
    metadata: { name: 'from-load', namespace: 'etl' },
    spec: { podSelector: stageSel('transform'), ingress: [{ from: [{ podSelector: stageSel('load') }] }] },
  });
  view.upsertPolicy({
    metadata: { name: 'from-report', namespace: 'rep' },
    spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] },
  });

  const resolveAll = (namespace: string): Target[] =>
    view.policiesIn(namespace).flatMap((p) => p.ingressRules.flatMap((r) => r.peers.flatMap((pe) => resolvePeer(pe, p.namespace, view, CONFIG))));

  it('the union over both policies of the namespace is what may reach transform', () => {
    assert.deepEqual(resolveAll('etl').map(show).sort(), ['stage etl/extract@etl', 'stage etl/load@etl']);
  });
  it('judged per target: the peer of one policy is in the flow, the other is not', () => {
    const transform = CONFIG.stages.get('etl/transform');
    assert.ok(transform);
    const verdicts = view
      .policiesIn('etl')
      .map((p) => [
        p.name,
        p.ingressRules.every((r) =>
          r.peers.every((pe) => resolvePeer(pe, p.namespace, view, CONFIG).every((t) => targetAllowed(t, transform, 'ingress', CONFIG))),
        ),
      ]);
    assert.deepEqual(verdicts.sort(), [
      ['from-extract', true],
      ['from-load', false],
    ]);
  });
  it('a policy of another namespace resolves its podSelector-only peers in its own namespace', () => {
    assert.deepEqual(resolveAll('rep').map(show), ['stage report/collect@rep', 'stage report/render@rep']);
  });
  it('a namespace without policies contributes nothing', () => {
    assert.deepEqual(resolveAll('kube-system'), []);
  });
});

describe('engine/peers: describeTarget and describeAllowed', () => {
  const extract = CONFIG.stages.get('etl/extract');
  const load = CONFIG.stages.get('etl/load');
  const cases: { name: string; target: Target; want: string }[] = [
    { name: 'a stage in a known namespace', target: { kind: 'stage', stage: extract!, namespace: 'etl' }, want: 'stage etl/extract (namespace etl)' },
    { name: 'a stage in any namespace of its pipeline', target: { kind: 'stage', stage: extract! }, want: 'stage etl/extract (any namespace of pipeline etl)' },
    { name: 'a namespace', target: { kind: 'namespace', namespace: 'web' }, want: 'namespace web' },
    { name: 'any namespace', target: { kind: 'any-namespace' }, want: 'pods of any non-pipeline namespace' },
    { name: 'dns', target: { kind: 'dns' }, want: 'kube-dns in kube-system' },
    { name: 'external', target: { kind: 'external', ranges: [], text: '10.0.0.0/8' }, want: 'ipBlock 10.0.0.0/8' },
  ];
  for (const c of cases) {
    it(`describeTarget: ${c.name}`, () => {
      assert.equal(describeTarget(c.target), c.want);
    });
  }
  it('describeAllowed lists stages, namespaces and CIDRs', () => {
    assert.ok(extract && load);
    assert.equal(describeAllowed(extract, 'egress'), 'stage etl/transform; CIDRs 203.0.113.0/24');
    assert.equal(describeAllowed(extract, 'ingress'), 'nothing');
    assert.match(describeAllowed(load, 'egress'), /stage report\/collect/);
    assert.match(describeAllowed(load, 'egress'), /namespace warehouse/);
    assert.equal(describeAllowed(load, 'ingress'), 'stage etl/transform; namespace monitoring');
  });
  it('syntheticNamespace carries only the name label', () => {
    assert.deepEqual(syntheticNamespace('x').labels, { [NAME]: 'x' });
  });
});
