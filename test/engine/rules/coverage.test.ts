import { strict as assert } from 'node:assert';
import { managedPolicies } from '../../../src/engine/generate.js';
import type { NetworkPolicy, NetworkPolicySpec } from '../../../src/engine/types.js';
import { etlConfig } from '../../helpers/config.js';
import { assertFires, assertQuiet, DEFAULT_STAGE, judge, netpol, ns, PIPELINE, pod, STAGE, viewOf, workload, WORKLOAD_KINDS } from './fixtures.js';

const config = etlConfig();
const namespaces = [
  ns('etl', { pipeline: 'etl' }),
  ns('etl-other', { pipeline: 'etl' }),
  ns('etl-load', { pipeline: 'etl', annotations: { [DEFAULT_STAGE]: 'load' } }),
];
const transformPod = pod('etl', 'p', { labels: { [STAGE]: 'transform' } });
const egressRule = { to: [{ podSelector: { matchLabels: { [STAGE]: 'load' } } }] };
const ingressRule = { from: [{ podSelector: { matchLabels: { [STAGE]: 'extract' } } }] };

describe('engine/rules/coverage: ingress-uncovered and egress-uncovered', () => {
  const cases: { name: string; policies: NetworkPolicy[]; ingress: boolean; egress: boolean; object?: typeof transformPod }[] = [
    { name: 'no policy in the namespace: neither direction is covered', policies: [], ingress: false, egress: false },
    {
      name: 'the managed default-deny (podSelector {}, Ingress and Egress) covers both',
      policies: managedPolicies('etl', config),
      ingress: true,
      egress: true,
    },
    {
      name: 'policyTypes omitted and no egress rules means [Ingress] only',
      policies: [netpol('etl', 'np', { podSelector: {} })],
      ingress: true,
      egress: false,
    },
    {
      name: 'policyTypes omitted with egress rules means [Ingress, Egress]',
      policies: [netpol('etl', 'np', { podSelector: {}, egress: [egressRule] })],
      ingress: true,
      egress: true,
    },
    {
      name: 'policyTypes: [] with egress rules counts as covering Egress (and Ingress)',
      policies: [netpol('etl', 'np', { podSelector: {}, policyTypes: [], egress: [egressRule] })],
      ingress: true,
      egress: true,
    },
    {
      name: 'policyTypes: [] without egress rules covers Ingress only',
      policies: [netpol('etl', 'np', { podSelector: {}, policyTypes: [] })],
      ingress: true,
      egress: false,
    },
    {
      name: 'an Egress-only policy covers egress but not ingress',
      policies: [netpol('etl', 'np', { podSelector: {}, policyTypes: ['Egress'] })],
      ingress: false,
      egress: true,
    },
    {
      name: 'an explicit [Ingress] policy with egress rules does not cover egress',
      policies: [netpol('etl', 'np', { podSelector: {}, policyTypes: ['Ingress'], egress: [egressRule] })],
      ingress: true,
      egress: false,
    },
    {
      name: 'ingress and egress split across two policies covers both',
      policies: [
        netpol('etl', 'in', { podSelector: { matchLabels: { [STAGE]: 'transform' } }, policyTypes: ['Ingress'], ingress: [ingressRule] }),
        netpol('etl', 'out', { podSelector: { matchLabels: { [STAGE]: 'transform' } }, policyTypes: ['Egress'], egress: [egressRule] }),
      ],
      ingress: true,
      egress: true,
    },
    {
      name: 'a policy selecting another stage does not cover the pod',
      policies: [netpol('etl', 'np', { podSelector: { matchLabels: { [STAGE]: 'load' } }, policyTypes: ['Ingress', 'Egress'] })],
      ingress: false,
      egress: false,
    },
    {
      name: 'a policy in another namespace does not cover the pod',
      policies: managedPolicies('etl-other', config),
      ingress: false,
      egress: false,
    },
    {
      name: 'NotIn on a missing key selects the pod',
      policies: [
        netpol('etl', 'np', { podSelector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['web'] }] }, policyTypes: ['Ingress', 'Egress'] }),
      ],
      ingress: true,
      egress: true,
    },
    {
      name: 'DoesNotExist on a missing key selects the pod',
      policies: [netpol('etl', 'np', { podSelector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, policyTypes: ['Ingress', 'Egress'] })],
      ingress: true,
      egress: true,
    },
    {
      name: 'In on a missing key does not select the pod',
      policies: [
        netpol('etl', 'np', { podSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['data'] }] }, policyTypes: ['Ingress', 'Egress'] }),
      ],
      ingress: false,
      egress: false,
    },
    {
      name: 'Exists on a missing key does not select the pod',
      policies: [netpol('etl', 'np', { podSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, policyTypes: ['Ingress', 'Egress'] })],
      ingress: false,
      egress: false,
    },
    {
      name: 'the pipeline label stagewall adds by mutation counts for selection',
      policies: [netpol('etl', 'np', { podSelector: { matchLabels: { [PIPELINE]: 'etl', [STAGE]: 'transform' } }, policyTypes: ['Ingress', 'Egress'] })],
      ingress: true,
      egress: true,
    },
    {
      name: 'the default-stage annotation fills the stage label before selection',
      policies: [netpol('etl-load', 'np', { podSelector: { matchLabels: { [STAGE]: 'load' } }, policyTypes: ['Ingress', 'Egress'] })],
      object: pod('etl-load', 'p'),
      ingress: true,
      egress: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const object = c.object ?? transformPod;
      const d = judge(object, config, viewOf(...namespaces, ...c.policies));
      const name = `Pod ${object.metadata?.namespace}/p`;
      if (c.ingress) assertQuiet(d, 'ingress-uncovered');
      else assertFires(d, 'ingress-uncovered', 'deny', name);
      if (c.egress) assertQuiet(d, 'egress-uncovered');
      else assertFires(d, 'egress-uncovered', 'deny', name);
      assert.equal(d.verdict, c.ingress && c.egress ? 'allow' : 'deny');
    });
  }

  it("the fix offers the stage's own generated policy", () => {
    const d = judge(transformPod, config, viewOf(...namespaces));
    const msg = assertFires(d, 'ingress-uncovered', 'deny', 'Pod etl/p');
    assert.match(msg, /policyTypes Ingress in namespace etl/);
    assert.match(msg, /name: stagewall-etl-transform/);
    assert.match(msg, /namespace: etl\n/);
    assert.match(assertFires(d, 'egress-uncovered', 'deny', 'Pod etl/p'), /policyTypes Egress/);
  });

  it('without a known stage the fix offers the default-deny', () => {
    const d = judge(pod('etl', 'p', { labels: { [STAGE]: 'nope' } }), config, viewOf(...namespaces));
    const msg = assertFires(d, 'ingress-uncovered', 'deny', 'Pod etl/p');
    assert.match(msg, /name: stagewall-default-deny/);
    assert.doesNotMatch(msg, /stagewall-allow-dns/);
  });

  it('a pod in a non-pipeline namespace is never judged for coverage', () => {
    const d = judge(pod('web', 'p'), config, viewOf(ns('web')));
    assert.deepEqual(d.violations, []);
    assert.equal(d.skipped, 'not-a-pipeline');
  });

  describe('workload templates: coverage severity follows workloadCoverage', () => {
    for (const kind of WORKLOAD_KINDS) {
      for (const coverage of ['warn', 'deny'] as const) {
        it(`${kind} with workloadCoverage: ${coverage} → ${coverage}`, () => {
          const cfg = etlConfig({ workloadCoverage: coverage });
          const d = judge(workload(kind, 'etl', 'w', { labels: { [STAGE]: 'transform' } }), cfg, viewOf(...namespaces));
          assertFires(d, 'ingress-uncovered', coverage, `${kind} etl/w (pod template)`);
          assertFires(d, 'egress-uncovered', coverage, `${kind} etl/w (pod template)`);
          assert.equal(d.verdict, coverage);
        });
      }
      it(`${kind} covered by the default-deny is allowed`, () => {
        const d = judge(workload(kind, 'etl', 'w', { labels: { [STAGE]: 'transform' } }), config, viewOf(...namespaces, ...managedPolicies('etl', config)));
        assert.deepEqual(d.violations, []);
      });
      it(`${kind}: coverage is judged on the template labels`, () => {
        const onlyLoad = netpol('etl', 'np', { podSelector: { matchLabels: { [STAGE]: 'load' } }, policyTypes: ['Ingress', 'Egress'] });
        const v = viewOf(...namespaces, onlyLoad);
        assertQuiet(judge(workload(kind, 'etl', 'w', { labels: { [STAGE]: 'load' } }), config, v), 'ingress-uncovered');
        assertFires(judge(workload(kind, 'etl', 'w', { labels: { [STAGE]: 'transform' } }), config, v), 'ingress-uncovered', 'warn', `${kind} etl/w`);
      });
    }

    it('a bare Pod is denied even when workloadCoverage is warn (the default)', () => {
      assert.equal(config.workloadCoverage, 'warn');
      const d = judge(transformPod, config, viewOf(...namespaces));
      assertFires(d, 'ingress-uncovered', 'deny', 'Pod etl/p');
      assert.equal(d.verdict, 'deny');
    });
  });

  it('the view is read as it is: a policy added later covers the next admission', () => {
    const view = viewOf(...namespaces);
    assertFires(judge(transformPod, config, view), 'ingress-uncovered', 'deny', 'Pod etl/p');
    for (const p of managedPolicies('etl', config)) view.upsertPolicy(p as NetworkPolicy);
    assert.deepEqual(judge(transformPod, config, view).violations, []);
    view.deletePolicy('etl', 'stagewall-default-deny');
    const spec: NetworkPolicySpec | undefined = view.policiesIn('etl')[0]?.raw.spec;
    assert.deepEqual(spec?.policyTypes, ['Egress'], 'only allow-dns is left');
    assertFires(judge(transformPod, config, view), 'ingress-uncovered', 'deny', 'Pod etl/p');
    assertQuiet(judge(transformPod, config, view), 'egress-uncovered');
  });

  describe('many policies in a namespace (the index by label)', () => {
    const MANY = 300;
    /** 300 per-app policies (both directions), each matchLabels {stage, app}, as teams add them. */
    function manyAppPolicies(): NetworkPolicy[] {
      return Array.from({ length: MANY }, (_, i) =>
        netpol('etl', `transform-app${i}`, { podSelector: { matchLabels: { [STAGE]: 'transform', app: `app${i}` } }, policyTypes: ['Ingress', 'Egress'] }),
      );
    }
    /** Counts podSelector.matches() calls over the namespace's compiled policies. */
    function countMatches(view: ReturnType<typeof viewOf>): { calls: number } {
      const counter = { calls: 0 };
      for (const p of view.policiesIn('etl')) {
        const selector = p.podSelector;
        const matches = selector.matches.bind(selector);
        Object.defineProperty(selector, 'matches', {
          configurable: true,
          value: (labels: Parameters<typeof matches>[0]) => {
            counter.calls += 1;
            return matches(labels);
          },
        });
      }
      return counter;
    }
    const appPod = (app: string) => pod('etl', 'p', { labels: { [STAGE]: 'transform', app } });

    it('a covered pod is tried only against the policies filed under its own labels, not all 300', () => {
      const view = viewOf(...namespaces, ...manyAppPolicies());
      const counter = countMatches(view);
      const d = judge(appPod('app250'), config, view);
      assertQuiet(d, 'ingress-uncovered');
      assertQuiet(d, 'egress-uncovered');
      // One candidate per direction; a scan would call matches() about 250 times per direction.
      assert.ok(counter.calls <= 4, `matches() called ${counter.calls} times`);
    });

    it('an uncovered pod is refused after no selector work at all, and a policy added later is found', () => {
      const view = viewOf(...namespaces, ...manyAppPolicies());
      const counter = countMatches(view);
      const d = judge(appPod('app-new'), config, view);
      assertFires(d, 'ingress-uncovered', 'deny', 'Pod etl/p');
      assertFires(d, 'egress-uncovered', 'deny', 'Pod etl/p');
      assert.equal(counter.calls, 0);
      view.upsertPolicy(netpol('etl', 'transform-app-new', { podSelector: { matchLabels: { app: 'app-new' } }, policyTypes: ['Egress'] }));
      const after = judge(appPod('app-new'), config, view);
      assertFires(after, 'ingress-uncovered', 'deny', 'Pod etl/p');
      assertQuiet(after, 'egress-uncovered');
    });

    it('the index agrees with a scan of every policy: matchLabels whose first key the pod lacks, matchExpressions only, an empty selector', () => {
      const extra = [
        netpol('etl', 'by-team', { podSelector: { matchLabels: { team: 'data', [STAGE]: 'transform' } }, policyTypes: ['Ingress'] }),
        netpol('etl', 'by-expression', { podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['odd'] }] }, policyTypes: ['Egress'] }),
      ];
      const view = viewOf(...namespaces, ...manyAppPolicies(), ...extra);
      const cases: { labels: Record<string, string>; ingress: boolean; egress: boolean }[] = [
        { labels: { [STAGE]: 'transform', app: 'odd' }, ingress: false, egress: true },
        { labels: { [STAGE]: 'transform', app: 'odd', team: 'data' }, ingress: true, egress: true },
        { labels: { [STAGE]: 'transform', team: 'data' }, ingress: true, egress: false },
        { labels: { [STAGE]: 'load', app: 'app3' }, ingress: false, egress: false },
        { labels: { [STAGE]: 'transform', app: 'app3' }, ingress: true, egress: true },
      ];
      for (const c of cases) {
        const d = judge(pod('etl', 'p', { labels: c.labels }), config, view);
        for (const [rule, covered] of [
          ['ingress-uncovered', c.ingress],
          ['egress-uncovered', c.egress],
        ] as const) {
          const scan = view.policiesIn('etl').some((p) => (rule === 'ingress-uncovered' ? p.ingress : p.egress) && p.podSelector.matches(c.labels));
          assert.equal(scan, covered, `the expectation for ${JSON.stringify(c.labels)} ${rule} is a scan's answer`);
          if (covered) assertQuiet(d, rule);
          else assertFires(d, rule, 'deny', 'Pod etl/p');
        }
      }
      view.upsertPolicy(netpol('etl', 'all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }));
      const d = judge(pod('etl', 'p', { labels: { [STAGE]: 'load' } }), config, view);
      assertQuiet(d, 'ingress-uncovered');
      assertQuiet(d, 'egress-uncovered');
    });
  });
});
