import { strict as assert } from 'node:assert';
import { fileURLToPath } from 'node:url';
import { checkObjects } from '../../src/cli/check.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { StagewallConfig } from '../../src/config/model.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { generatePolicies, stagePolicy } from '../../src/engine/generate.js';
import { managedPolicyNames } from '../../src/shared/names.js';
import type { KubeObject, NetworkPolicy } from '../../src/engine/types.js';
import { syntheticNamespace } from '../../src/engine/view.js';
import type { LoadedObject } from '../../src/manifests/load.js';
import { makeConfig } from '../helpers/config.js';
import { MANAGED, ns, PIPELINE, pod, STAGE, workload } from './rules/fixtures.js';

const examples = loadConfigFile(fileURLToPath(new URL('../../examples/stagewall.yaml', import.meta.url)));

function summarise(policy: NetworkPolicy): unknown {
  return { name: policy.metadata?.name, namespace: policy.metadata?.namespace, spec: policy.spec };
}

/** The objects of a cluster running the generated policies: namespaces, policies, one pod and one Deployment per stage. */
function clusterFor(config: StagewallConfig, extraNamespaces: string[] = []): KubeObject[] {
  const groups = generatePolicies(config);
  const objects: KubeObject[] = [];
  const pipelineOf = new Map<string, string>();
  for (const stage of config.stages.values()) pipelineOf.set(stage.namespace, stage.pipeline);
  for (const [namespace, pipeline] of pipelineOf) objects.push(ns(namespace, { pipeline }));
  for (const name of extraNamespaces) objects.push(ns(name));
  for (const group of groups) objects.push(...group.policies);
  for (const stage of config.stages.values()) {
    objects.push(pod(stage.namespace, `${stage.name}-pod`, { labels: { [STAGE]: stage.name } }));
    objects.push(workload('Deployment', stage.namespace, `${stage.name}-deploy`, { labels: { [STAGE]: stage.name } }));
  }
  return objects;
}

function asLoaded(objects: KubeObject[]): LoadedObject[] {
  return objects.map((object, i) => ({ object, source: { file: 'generated.yaml', line: i + 1 }, judged: true }));
}

describe('engine/generate', () => {
  describe('generatePolicies for the examples config', () => {
    const groups = generatePolicies(examples);

    it('one group per stage namespace, in config order', () => {
      assert.deepEqual(
        groups.map((g) => g.namespace),
        ['etl-extract', 'etl-transform', 'etl-load'],
      );
    });

    it('each namespace gets the managed default-deny pair, then its stage policy', () => {
      for (const g of groups) {
        assert.deepEqual(
          g.policies.map((p) => p.metadata?.name),
          ['stagewall-default-deny', 'stagewall-allow-dns', `stagewall-etl-${g.namespace.slice(4)}`],
        );
        for (const p of g.policies) assert.equal(p.metadata?.namespace, g.namespace);
        assert.deepEqual(g.policies[0]?.metadata?.labels, MANAGED);
        assert.deepEqual(g.policies[0]?.spec, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      }
    });

    it('the transform policy allows exactly extract in and load out, on the declared ports', () => {
      const transform = groups[1]?.policies[2] as NetworkPolicy;
      const stagePeer = (stage: string) => ({
        namespaceSelector: { matchLabels: { [PIPELINE]: 'etl' } },
        podSelector: { matchLabels: { [PIPELINE]: 'etl', [STAGE]: stage } },
      });
      assert.deepEqual(summarise(transform), {
        name: 'stagewall-etl-transform',
        namespace: 'etl-transform',
        spec: {
          podSelector: { matchLabels: { [PIPELINE]: 'etl', [STAGE]: 'transform' } },
          policyTypes: ['Ingress', 'Egress'],
          ingress: [{ from: [stagePeer('extract')], ports: [{ protocol: 'TCP', port: 8080 }] }],
          egress: [{ to: [stagePeer('load')], ports: [{ protocol: 'TCP', port: 8080 }] }],
        },
      });
    });

    it('the extract policy reaches its external CIDR on its ports, and receives from nothing', () => {
      const extract = groups[0]?.policies[2] as NetworkPolicy;
      assert.deepEqual(extract.spec?.ingress, []);
      assert.deepEqual(extract.spec?.egress?.[1], { to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ protocol: 'TCP', port: 443 }] });
    });

    it('the load policy admits monitoring and reaches warehouse by namespace name', () => {
      const load = groups[2]?.policies[2] as NetworkPolicy;
      assert.deepEqual(load.spec?.ingress?.[0]?.from?.[1], { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } });
      assert.deepEqual(load.spec?.egress, [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'warehouse' } } }] }]);
    });

    it('is deterministic', () => {
      assert.deepEqual(generatePolicies(examples), groups);
    });
  });

  describe('options and defaultDeny', () => {
    const two = makeConfig({
      pipelines: [
        { name: 'etl', stages: [{ name: 'extract' }, { name: 'load' }] },
        { name: 'report', namespace: 'reports', stages: [{ name: 'collect', ingressFrom: ['etl/load'] }] },
      ],
    });
    it('without options every pipeline is generated; a stage namespace defaults to the pipeline namespace, then its name', () => {
      assert.deepEqual(
        generatePolicies(two).map((g) => g.namespace),
        ['etl', 'reports'],
      );
    });
    it('--pipeline keeps one pipeline', () => {
      assert.deepEqual(
        generatePolicies(two, { pipeline: 'report' }).map((g) => g.namespace),
        ['reports'],
      );
    });
    it('--namespace puts every stage in one namespace, with one default-deny pair', () => {
      const groups = generatePolicies(two, { namespace: 'sandbox' });
      assert.equal(groups.length, 1);
      assert.deepEqual(
        groups[0]?.policies.map((p) => p.metadata?.name),
        ['stagewall-default-deny', 'stagewall-allow-dns', 'stagewall-etl-extract', 'stagewall-etl-load', 'stagewall-report-collect'],
      );
    });
    it('allowDNS: false leaves out stagewall-allow-dns', () => {
      const cfg = makeConfig({ defaultDeny: { allowDNS: false }, pipelines: [{ name: 'etl', stages: [{ name: 'a' }] }] });
      assert.deepEqual(
        generatePolicies(cfg)[0]?.policies.map((p) => p.metadata?.name),
        ['stagewall-default-deny', 'stagewall-etl-a'],
      );
      assert.deepEqual(managedPolicyNames(cfg), ['stagewall-default-deny']);
    });
    it('defaultDeny.enabled: false generates only the stage policies', () => {
      const cfg = makeConfig({ defaultDeny: { enabled: false }, pipelines: [{ name: 'etl', stages: [{ name: 'a' }] }] });
      assert.deepEqual(
        generatePolicies(cfg)[0]?.policies.map((p) => p.metadata?.name),
        ['stagewall-etl-a'],
      );
      assert.deepEqual(managedPolicyNames(cfg), []);
    });
    it('a cross-pipeline edge appears on both ends', () => {
      const load = stagePolicy(two.stages.get('etl/load')!, 'etl', two);
      const collect = stagePolicy(two.stages.get('report/collect')!, 'reports', two);
      assert.deepEqual(load.spec?.egress?.[0]?.to?.[0]?.namespaceSelector, { matchLabels: { [PIPELINE]: 'report' } });
      assert.deepEqual(collect.spec?.ingress?.[0]?.from?.[0]?.podSelector, { matchLabels: { [PIPELINE]: 'etl', [STAGE]: 'load' } });
    });
  });

  describe('the generated policies pass check with zero violations', () => {
    const richer = makeConfig({
      workloadCoverage: 'deny',
      pipelines: [
        {
          name: 'etl',
          stages: [
            { name: 'extract', namespace: 'etl-in', egressExternal: [{ cidr: '203.0.113.0/24', ports: [443] }, '2001:db8::/32'], ports: [{ port: 9000 }] },
            { name: 'transform', namespace: 'etl-work', ingressExternal: ['198.51.100.0/24'], ports: [{ port: 8080 }, { port: 'metrics' }] },
            { name: 'load', namespace: 'etl-work', egressNamespaces: ['warehouse'], ingressNamespaces: ['monitoring', 'audit'] },
          ],
        },
        {
          name: 'report',
          stages: [
            { name: 'collect', ingressFrom: ['etl/load', 'etl/transform'], ports: [{ port: 53, protocol: 'UDP' }] },
            { name: 'render', egressTo: ['collect'] },
          ],
        },
      ],
    });
    const cases: { name: string; config: StagewallConfig; extra: string[] }[] = [
      { name: 'the examples config', config: examples, extra: ['warehouse', 'monitoring'] },
      { name: 'a config with cross-pipeline edges, shared namespaces, IPv6 and named ports', config: richer, extra: ['warehouse', 'monitoring', 'audit'] },
      {
        name: 'a config without allowDNS',
        config: makeConfig({ defaultDeny: { allowDNS: false }, pipelines: [{ name: 'p', stages: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }] }),
        extra: [],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const objects = clusterFor(c.config, c.extra);
        const report = checkObjects(asLoaded(objects), c.config);
        const problems = report.results.flatMap((r) => r.decision.violations.map((v) => `${v.rule}: ${v.message}`));
        assert.deepEqual(problems, []);
        assert.equal(report.summary.objects, objects.length);
        assert.equal(report.summary.denied, 0);
        assert.equal(report.summary.warned, 0);
        // Every policy and pod was judged, not skipped: the zero is meaningful.
        const judgedKinds = new Set(report.results.filter((r) => r.decision.skipped === undefined).map((r) => r.decision.ref.kind));
        assert.deepEqual([...judgedKinds].sort(), ['Deployment', 'Namespace', 'NetworkPolicy', 'Pod']);
      });
    }

    it('the same view catches a policy that breaks the flow (so the zero above is not vacuous)', () => {
      const objects = clusterFor(examples, ['warehouse', 'monitoring']);
      const bad: NetworkPolicy = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'shortcut', namespace: 'etl-extract' },
        spec: {
          podSelector: { matchLabels: { [STAGE]: 'extract' } },
          policyTypes: ['Egress'],
          egress: [{ to: [{ namespaceSelector: { matchLabels: { [PIPELINE]: 'etl' } }, podSelector: { matchLabels: { [STAGE]: 'load' } } }] }],
        },
      };
      const withBad = checkObjects(asLoaded([...objects, bad]), examples);
      assert.equal(withBad.summary.denied, 1);
      assert.deepEqual(
        withBad.results.at(-1)?.decision.violations.map((v) => v.rule),
        ['egress-flow'],
      );
    });

    it('without the generated policies the same pods are uncovered', () => {
      const objects = clusterFor(examples, ['warehouse', 'monitoring']).filter((o) => o.kind !== 'NetworkPolicy');
      const report = checkObjects(asLoaded(objects), examples);
      assert.equal(report.summary.denied, 6, 'three pods and three Deployments (workloadCoverage: deny)');
      // A namespace the view lacks is inferred from the config (engine/scope.ts), so the sanity
      // view knows every namespace, without a pipeline label.
      const d = evaluate(
        { operation: 'CREATE', object: objects.find((o) => o.kind === 'Pod')! },
        { config: examples, view: { namespace: syntheticNamespace, namespaces: () => [], policiesIn: () => [] } },
      );
      assert.equal(d.skipped, 'not-a-pipeline', 'sanity: a view whose namespaces carry no pipeline label judges nothing');
    });
  });
});
