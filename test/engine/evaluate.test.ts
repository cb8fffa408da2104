import { strict as assert } from 'node:assert';
import type { StagewallConfig } from '../../src/config/model.js';
import { evaluate, type Decision } from '../../src/engine/evaluate.js';
import { managedPolicies } from '../../src/engine/generate.js';
import type { KubeObject, Operation } from '../../src/engine/types.js';
import { makeConfig } from '../helpers/config.js';
import { judge, netpol, ns, pod, STAGE, viewOf, workload } from './rules/fixtures.js';

function config(extra: Record<string, unknown> = {}, pipelineMode?: string): StagewallConfig {
  return makeConfig({
    pipelines: [
      { name: 'etl', ...(pipelineMode ? { mode: pipelineMode } : {}), stages: [{ name: 'extract' }, { name: 'load' }] },
      { name: 'ml', stages: [{ name: 'train' }] },
    ],
    ...extra,
  });
}

const namespaces = [
  ns('etl', { pipeline: 'etl' }),
  ns('ml', { pipeline: 'ml' }),
  ns('team-x', { pipeline: 'etl' }),
  ns('kube-system', { pipeline: 'etl' }),
  ns('stagewall', { pipeline: 'etl' }),
];
const view = viewOf(...namespaces);
/** A pod that breaks stage-label-missing, ingress-uncovered, egress-uncovered and host-network. */
const bad = (namespace: string): KubeObject => pod(namespace, 'p', { hostNetwork: true });

describe('engine/evaluate: modes, exemptions and operations', () => {
  describe('modes', () => {
    const cases: { name: string; cfg: StagewallConfig; namespace?: string; verdict: Decision['verdict']; mode: string; skipped?: string }[] = [
      { name: 'enforce: violations deny', cfg: config(), verdict: 'deny', mode: 'enforce' },
      { name: 'audit: every deny becomes a warning and the verdict is warn', cfg: config({ mode: 'audit' }), verdict: 'warn', mode: 'audit' },
      { name: 'off: allowed without judging, skipped mode-off', cfg: config({ mode: 'off' }), verdict: 'allow', mode: 'off', skipped: 'mode-off' },
      { name: 'a per-pipeline audit overrides a global enforce', cfg: config({}, 'audit'), verdict: 'warn', mode: 'audit' },
      { name: 'a per-pipeline enforce overrides a global audit', cfg: config({ mode: 'audit' }, 'enforce'), verdict: 'deny', mode: 'enforce' },
      { name: 'a per-pipeline off overrides a global enforce', cfg: config({}, 'off'), verdict: 'allow', mode: 'off', skipped: 'mode-off' },
      {
        name: 'a per-pipeline override leaves other pipelines on the global mode',
        cfg: config({}, 'audit'),
        namespace: 'ml',
        verdict: 'deny',
        mode: 'enforce',
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const d = judge(bad(c.namespace ?? 'etl'), c.cfg, view);
        assert.equal(d.verdict, c.verdict);
        assert.equal(d.mode, c.mode);
        assert.equal(d.skipped, c.skipped);
        if (c.skipped) {
          assert.deepEqual(d.violations, []);
        } else {
          assert.ok(d.violations.length >= 4, 'all four rules still ran');
          const want = c.verdict === 'warn' ? 'warn' : 'deny';
          assert.ok(
            d.violations.every((v) => v.severity === want),
            `every severity is ${want}`,
          );
        }
      });
    }

    it('audit turns workload coverage set to deny into warn too', () => {
      const d = judge(workload('Deployment', 'etl', 'w', { labels: { [STAGE]: 'load' } }), config({ mode: 'audit', workloadCoverage: 'deny' }), view);
      assert.deepEqual(
        d.violations.map((v) => [v.rule, v.severity]),
        [
          ['ingress-uncovered', 'warn'],
          ['egress-uncovered', 'warn'],
        ],
      );
      assert.equal(d.verdict, 'warn');
    });

    it('audit keeps warnings as warnings (workloadCoverage warn in enforce)', () => {
      const d = judge(workload('Deployment', 'etl', 'w', { labels: { [STAGE]: 'load' } }), config(), view);
      assert.equal(d.verdict, 'warn');
      assert.equal(d.mode, 'enforce');
    });

    it('mode off of the pipeline skips its policies too', () => {
      const d = judge(netpol('etl', 'np', { podSelector: {}, ingress: [{}] }), config({}, 'off'), view);
      assert.equal(d.skipped, 'mode-off');
      assert.equal(d.verdict, 'allow');
    });

    it('the mode of a Namespace is the mode of the pipeline it names', () => {
      assert.equal(judge(ns('new', { pipeline: 'etl' }), config({}, 'audit'), view).mode, 'audit');
      assert.equal(judge(ns('new', { pipeline: 'ml' }), config({}, 'audit'), view).mode, 'enforce');
      assert.equal(judge(ns('new', { pipeline: 'nope' }), config({ mode: 'audit' }), view).mode, 'audit');
    });
  });

  describe('namespaces that are never judged', () => {
    const cases: { name: string; cfg: StagewallConfig; namespace: string; ownNamespace?: string; judged: boolean }[] = [
      {
        name: 'a namespace listed in exemptNamespaces is not judged, even when labelled for a pipeline',
        cfg: config({ exemptNamespaces: ['team-x'] }),
        namespace: 'team-x',
        judged: false,
      },
      {
        name: 'kube-system is not judged even if exemptNamespaces leaves it out',
        cfg: config({ exemptNamespaces: [] }),
        namespace: 'kube-system',
        judged: false,
      },
      {
        name: "stagewall's own namespace (ownNamespace) is not judged whatever the config says",
        cfg: config({ exemptNamespaces: [] }),
        namespace: 'stagewall',
        ownNamespace: 'stagewall',
        judged: false,
      },
      { name: 'without ownNamespace the same namespace is judged', cfg: config({ exemptNamespaces: [] }), namespace: 'stagewall', judged: true },
      { name: 'a labelled namespace not listed as exempt is judged', cfg: config({ exemptNamespaces: ['other'] }), namespace: 'team-x', judged: true },
    ];
    for (const c of cases) {
      for (const object of [
        bad(c.namespace),
        workload('CronJob', c.namespace, 'w'),
        netpol(c.namespace, 'np', { podSelector: {}, ingress: [{}] }),
        ns(c.namespace, { pipeline: 'nope' }),
      ]) {
        it(`${c.name}: ${object.kind}`, () => {
          const d = judge(object, c.cfg, view, c.ownNamespace ? { ownNamespace: c.ownNamespace } : {});
          if (c.judged) {
            assert.equal(d.skipped, undefined);
            assert.ok(d.violations.length > 0);
          } else {
            assert.equal(d.skipped, 'exempt-namespace');
            assert.equal(d.verdict, 'allow');
            assert.deepEqual(d.violations, []);
          }
        });
      }
    }
  });

  describe('operations', () => {
    const cfg = config();
    const covered = viewOf(...namespaces, ...managedPolicies('etl', cfg));
    const good = pod('etl', 'p', { labels: { [STAGE]: 'load', app: 'a' } });
    const badLabels = pod('etl', 'p', { labels: { [STAGE]: 'lod', app: 'a' } });
    const cases: { name: string; operation: Operation; object: KubeObject; old?: KubeObject; judged: boolean }[] = [
      { name: 'Pod CREATE is judged', operation: 'CREATE', object: badLabels, judged: true },
      {
        name: 'Pod UPDATE with unchanged labels is not judged (only labels of a running pod can change its policies)',
        operation: 'UPDATE',
        object: badLabels,
        old: badLabels,
        judged: false,
      },
      { name: 'Pod UPDATE that changes a label value is judged', operation: 'UPDATE', object: badLabels, old: good, judged: true },
      { name: 'Pod UPDATE that removes a label is judged', operation: 'UPDATE', object: pod('etl', 'p', { labels: { app: 'a' } }), old: good, judged: true },
      {
        name: 'Pod UPDATE that adds a label is judged',
        operation: 'UPDATE',
        object: pod('etl', 'p', { labels: { [STAGE]: 'lod', app: 'a', x: 'y' } }),
        old: badLabels,
        judged: true,
      },
      { name: 'Pod DELETE is not judged', operation: 'DELETE', object: badLabels, judged: false },
      {
        name: 'Deployment UPDATE is always judged (its template may have changed)',
        operation: 'UPDATE',
        object: workload('Deployment', 'etl', 'w', { labels: { [STAGE]: 'lod' } }),
        old: workload('Deployment', 'etl', 'w', { labels: { [STAGE]: 'lod' } }),
        judged: true,
      },
      { name: 'Deployment DELETE is not judged', operation: 'DELETE', object: workload('Deployment', 'etl', 'w'), judged: false },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const d = judge(c.object, cfg, covered, { operation: c.operation, ...(c.old ? { oldObject: c.old } : {}) });
        if (c.judged) {
          assert.equal(d.skipped, undefined);
          assert.equal(d.verdict, 'deny');
        } else {
          assert.equal(d.skipped, 'operation-not-judged');
          assert.equal(d.verdict, 'allow');
        }
      });
    }

    it('a kind stagewall does not judge is skipped', () => {
      const d = judge({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'etl' } }, cfg, covered);
      assert.equal(d.skipped, 'kind-not-judged');
      assert.equal(d.verdict, 'allow');
    });

    it('a review without any object is allowed, not thrown on', () => {
      const d = evaluate({ operation: 'DELETE' }, { config: cfg, view: covered });
      assert.equal(d.verdict, 'allow');
    });

    it("the request's namespace is used when the object names none", () => {
      const object = pod('etl', 'p');
      delete object.metadata!.namespace;
      const d = judge(object, cfg, covered, { namespace: 'etl' });
      assert.deepEqual(d.ref, { kind: 'Pod', namespace: 'etl', name: 'p' });
      assert.deepEqual(
        d.violations.map((v) => v.rule),
        ['stage-label-missing'],
      );
    });

    it('a generateName pod is named by its prefix', () => {
      const object = pod('etl', 'x');
      object.metadata = { generateName: 'job-', namespace: 'etl' };
      const d = judge(object, cfg, covered);
      assert.match(d.violations[0]?.message ?? '', /^Pod etl\/job-\* has no label/);
    });
  });
});
