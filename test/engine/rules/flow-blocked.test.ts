import { strict as assert } from 'node:assert';
import { loadConfigFile } from '../../../src/config/load.js';
import type { StagewallConfig } from '../../../src/config/model.js';
import { generatePolicies } from '../../../src/engine/generate.js';
import type { KubeObject, NetworkPolicy } from '../../../src/engine/types.js';
import { loadManifests } from '../../../src/manifests/load.js';
import { buildStaticView } from '../../../src/manifests/view.js';
import { makeConfig } from '../../helpers/config.js';
import type { IndexedView } from '../../../src/engine/view.js';
import { assertFires, assertQuiet, judge as judgeObject, netpol, ns, PIPELINE, STAGE, viewOf } from './fixtures.js';

/** flow-blocked is pipeline-level: `check` runs it, so judge as `check` does. */
const judge = (object: KubeObject, config: StagewallConfig, view: IndexedView) => judgeObject(object, config, view, { pipelineRules: true });

const examples = loadConfigFile('examples/stagewall.yaml');
const exampleObjects = loadManifests(['examples/pipeline/manifests']).map((o) => o.object);
const EXAMPLE_NAMESPACES = ['etl-extract', 'etl-transform', 'etl-load'];

/** The example view with some policies left out (by name) and some added. */
function examplesWith(without: string[], extra: NetworkPolicy[] = []) {
  const objects = exampleObjects.filter((o) => (o.kind === 'Namespace' || o.kind === 'NetworkPolicy') && !without.includes(o.metadata?.name ?? ''));
  return viewOf(...objects, ...extra);
}

function namespaceObject(name: string): KubeObject {
  const found = exampleObjects.find((o) => o.kind === 'Namespace' && o.metadata?.name === name);
  assert.ok(found, name);
  return found;
}

/** flow-blocked messages per namespace of the examples, shortened to "from -> to: side". */
function findings(view: ReturnType<typeof viewOf>, config: StagewallConfig = examples): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of EXAMPLE_NAMESPACES) {
    out[name] = judge(namespaceObject(name), config, view)
      .violations.filter((v) => v.rule === 'flow-blocked')
      .map((v) => {
        const edge = /declared flow (\S+ -> \S+)/.exec(v.message)?.[1] ?? '?';
        const sides = [
          v.message.includes(' send to ') ? 'egress' : '',
          v.message.includes(' admits stage ') ? 'ingress' : '',
          v.message.includes('no port is open both ways') ? 'disjoint' : '',
        ].filter(Boolean);
        return `${edge}: ${sides.join('+')}`;
      });
  }
  return out;
}

describe('engine/rules/flow-blocked', () => {
  const cases: { name: string; without?: string[]; extra?: NetworkPolicy[]; want: Record<string, string[]> }[] = [
    { name: 'quiet on the passing examples', want: { 'etl-extract': [], 'etl-transform': [], 'etl-load': [] } },
    {
      name: 'without the transform stage policy: both edges through transform, reported on etl-transform (its ingress and its egress drop them)',
      without: ['stagewall-etl-transform'],
      want: { 'etl-extract': [], 'etl-transform': ['etl/extract -> etl/transform: ingress', 'etl/transform -> etl/load: egress'], 'etl-load': [] },
    },
    {
      name: "without the extract stage policy: extract's egress is still isolated by the default-deny, so extract -> transform is reported on etl-extract",
      without: ['stagewall-etl-extract'],
      want: { 'etl-extract': ['etl/extract -> etl/transform: egress'], 'etl-transform': [], 'etl-load': [] },
    },
    {
      name: "without the load stage policy: the default-deny drops transform -> load at load's ingress, reported on etl-load",
      without: ['stagewall-etl-load'],
      want: { 'etl-extract': [], 'etl-transform': [], 'etl-load': ['etl/transform -> etl/load: ingress'] },
    },
    {
      name: 'a port drift on the ingress of load (8081 instead of 8080) blocks transform -> load on etl-load',
      without: ['stagewall-etl-load'],
      extra: [
        netpol('etl-load', 'load-drifted', {
          podSelector: { matchLabels: { [STAGE]: 'load' } },
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { [PIPELINE]: 'etl' } }, podSelector: { matchLabels: { [STAGE]: 'transform' } } }],
              ports: [{ port: 8081 }],
            },
          ],
        }),
      ],
      want: { 'etl-extract': [], 'etl-transform': [], 'etl-load': ['etl/transform -> etl/load: ingress'] },
    },
    {
      name: 'an extra policy cannot block (policies are additive): quiet',
      extra: [netpol('etl-transform', 'deny-more', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
      want: { 'etl-extract': [], 'etl-transform': [], 'etl-load': [] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(findings(examplesWith(c.without ?? [], c.extra ?? [])), c.want);
    });
  }

  it('a namespace with no policy at all isolates nothing, so nothing is blocked there (the coverage rules report that instead)', () => {
    const bare = viewOf(...exampleObjects.filter((o) => o.kind === 'Namespace' || (o.kind === 'NetworkPolicy' && o.metadata?.namespace !== 'etl-load')));
    assert.deepEqual(findings(bare), { 'etl-extract': [], 'etl-transform': [], 'etl-load': [] });
  });

  it('the webhook (no pipeline-level rules) never runs it: its cost grows with the whole flow', () => {
    const d = judgeObject(namespaceObject('etl-transform'), examples, examplesWith(['stagewall-etl-transform']), { operation: 'UPDATE' });
    assertQuiet(d, 'flow-blocked');
  });

  it('the message names the namespace, the edge, the side, the ports and the fix; severity warn, verdict warn', () => {
    const d = judge(namespaceObject('etl-transform'), examples, examplesWith(['stagewall-etl-transform']));
    assert.equal(d.verdict, 'warn');
    const message = assertFires(d, 'flow-blocked', 'warn', 'Namespace etl-transform');
    assert.equal(
      message,
      'Namespace etl-transform: the declared flow etl/extract -> etl/transform (namespaces etl-extract -> etl-transform) is blocked ' +
        '(judged on a representative pod for stage etl/extract and stage etl/transform: no workload of them in the view): ' +
        'no NetworkPolicy of namespace etl-transform admits stage etl/extract (namespace etl-extract) into stage etl/transform on TCP 8080. ' +
        'Fix: add an ingress rule on etl/transform that admits etl/extract on TCP 8080 (as in stagewall-etl-transform from `stagewall generate`); ' +
        'or, if the flow is gone, remove the edge from the stagewall config.',
    );
  });

  it('a stage that serves no declared port: blocked when no port is open both ways, and the disjoint case says so once, on the destination', () => {
    const config = makeConfig({
      pipelines: [
        {
          name: 'p',
          stages: [
            { name: 'a', namespace: 'pa' },
            { name: 'b', namespace: 'pb' },
          ],
        },
      ],
    });
    const peer = (stage: string) => ({ namespaceSelector: { matchLabels: { [PIPELINE]: 'p' } }, podSelector: { matchLabels: { [STAGE]: stage } } });
    const view = viewOf(
      ns('pa', { pipeline: 'p' }),
      ns('pb', { pipeline: 'p' }),
      netpol('pa', 'a', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [peer('b')], ports: [{ port: 80 }] }] }),
      netpol('pb', 'b', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [peer('a')], ports: [{ port: 81 }] }] }),
    );
    assertQuiet(judge(ns('pa', { pipeline: 'p' }), config, view), 'flow-blocked');
    const message = assertFires(judge(ns('pb', { pipeline: 'p' }), config, view), 'flow-blocked', 'warn', 'Namespace pb');
    assert.match(message, /stage p\/a may send only on TCP 80 and stage p\/b admits it only on TCP 81, so no port is open both ways/);
  });

  it('a cross-pipeline edge is reported on each side that drops it', () => {
    const config = makeConfig({
      pipelines: [
        { name: 'etl', stages: [{ name: 'load' }] },
        { name: 'bi', stages: [{ name: 'dash', ingressFrom: ['etl/load'] }] },
      ],
    });
    const view = viewOf(
      ns('etl', { pipeline: 'etl' }),
      ns('bi', { pipeline: 'bi' }),
      netpol('etl', 'deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      netpol('bi', 'deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    );
    assert.match(
      assertFires(judge(ns('etl', { pipeline: 'etl' }), config, view), 'flow-blocked', 'warn', 'Namespace etl'),
      /etl\/load -> bi\/dash \(namespaces etl -> bi\).*lets stage etl\/load send to stage bi\/dash/,
    );
    assert.match(
      assertFires(judge(ns('bi', { pipeline: 'bi' }), config, view), 'flow-blocked', 'warn', 'Namespace bi'),
      /admits stage etl\/load \(namespace etl\) into stage bi\/dash on any port/,
    );
  });

  const quiet: { name: string; object: KubeObject; view: ReturnType<typeof viewOf>; config?: StagewallConfig }[] = [
    { name: 'a non-pipeline namespace', object: ns('warehouse'), view: examplesWith(['stagewall-etl-transform']) },
    {
      name: 'a pipeline namespace where no stage is placed (etl-adhoc)',
      object: ns('etl-adhoc', { pipeline: 'etl' }),
      view: viewOf(
        ns('etl-adhoc', { pipeline: 'etl' }),
        ...exampleObjects.filter((o) => o.kind === 'Namespace'),
        ...generatePolicies(examples)
          .flatMap((g) => g.policies)
          .filter((p) => p.metadata?.name !== 'stagewall-etl-transform'),
      ),
    },
    { name: 'a namespace the view does not hold yet (a webhook CREATE): no stage is placed there', object: namespaceObject('etl-transform'), view: viewOf() },
    {
      name: 'a webhook CREATE of etl-transform while the other etl namespaces exist: transform is placed in those, not in the new one',
      object: namespaceObject('etl-transform'),
      view: viewOf(
        ...exampleObjects.filter(
          (o) => (o.kind === 'Namespace' || o.kind === 'NetworkPolicy') && o.metadata?.name !== 'etl-transform' && o.metadata?.namespace !== 'etl-transform',
        ),
      ),
    },
    { name: 'a namespace whose new labels leave the pipeline', object: ns('etl-transform'), view: examplesWith(['stagewall-etl-transform']) },
    {
      name: 'mode off',
      object: namespaceObject('etl-transform'),
      view: examplesWith(['stagewall-etl-transform']),
      config: makeConfig({ ...examples.document, mode: 'off' }),
    },
  ];
  for (const q of quiet) it(`quiet on ${q.name}`, () => assertQuiet(judge(q.object, q.config ?? examples, q.view), 'flow-blocked'));

  it('audit mode keeps it a warning', () => {
    const audit = makeConfig({ ...examples.document, mode: 'audit' });
    assertFires(judge(namespaceObject('etl-transform'), audit, examplesWith(['stagewall-etl-transform'])), 'flow-blocked', 'warn', 'Namespace etl-transform');
  });

  it('check reports it on the Namespace object, as a warning, with the SPEC §6 result shape', async () => {
    const { checkObjects } = await import('../../../src/cli/check.js');
    const objects = loadManifests(['examples/pipeline/manifests']).filter((o) => o.object.metadata?.name !== 'stagewall-etl-transform');
    const report = checkObjects(objects, examples);
    assert.deepEqual(report.summary, { objects: 17, denied: 0, warned: 1, skipped: 0 });
    const warned = report.results
      .filter((r) => r.decision.verdict === 'warn')
      .map((r) => [r.decision.ref.kind, r.decision.ref.name, r.decision.violations.map((v) => v.rule)]);
    assert.deepEqual(warned, [['Namespace', 'etl-transform', ['flow-blocked', 'flow-blocked']]]);
    // And the static view check builds agrees with the one built here.
    assert.deepEqual(findings(buildStaticView(objects)), findings(examplesWith(['stagewall-etl-transform'])));
  });
});
