import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../src/engine/types.js';
import { loadManifests } from '../../src/manifests/load.js';
import { startStandInApi, type StandInApi } from '../helpers/api-server.js';
import { run, STACK_LINE } from './fake-io.js';

const CONFIG = ['-c', 'examples/stagewall.yaml'];
const GOOD = 'examples/pipeline/manifests';
const WORKLOADS = `${GOOD}/workloads.yaml`;
const DRIFT = 'examples/drift/drift.yaml';

/** What the example cluster holds: the example pipeline's Namespaces and NetworkPolicies. */
const LIVE = loadManifests([GOOD])
  .map((o) => o.object)
  .filter((o) => o.kind === 'Namespace' || o.kind === 'NetworkPolicy');

interface JsonReport {
  summary: { objects: number; denied: number; warned: number };
  results: { kind: string; namespace?: string; name: string; verdict: string; violations: { rule: string }[] }[];
}

describe('cli: check and graph --cluster (a snapshot of a live cluster as the view)', () => {
  let api: StandInApi;
  let kubeconfig: string;
  before(async () => {
    api = await startStandInApi(LIVE);
    kubeconfig = api.kubeconfig();
  });
  beforeEach(() => {
    api.requests.length = 0;
  });
  after(() => api.close());

  it('workloads alone are denied: the view holds only what the manifests hold', async () => {
    const r = await run(['check', ...CONFIG, WORKLOADS, '-o', 'json']);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.out) as JsonReport;
    assert.ok(report.results.every((x) => x.violations.some((v) => v.rule === 'ingress-uncovered')));
  });

  it('with --cluster the same workloads pass, judged against the live policies, with the same verdicts as the whole repository', async () => {
    const live = await run(['check', ...CONFIG, WORKLOADS, '-o', 'json', '--cluster', '--kubeconfig', kubeconfig]);
    assert.equal(live.code, 0, live.out + live.err);
    const count = (kind: string) => LIVE.filter((o) => o.kind === kind).length;
    assert.equal(
      live.err,
      `stagewall: view: the cluster at ${api.url} (${count('Namespace')} namespaces, ${count('NetworkPolicy')} NetworkPolicies), with the manifests applied on top\n`,
    );
    const whole = JSON.parse((await run(['check', ...CONFIG, GOOD, '-o', 'json'])).out) as JsonReport;
    const judged = JSON.parse(live.out) as JsonReport;
    assert.equal(judged.summary.objects, 4, 'only the manifests are judged, not the live objects');
    const key = (x: JsonReport['results'][number]) => `${x.kind} ${x.namespace}/${x.name}`;
    assert.deepEqual(
      judged.results,
      whole.results.filter((x) => judged.results.some((y) => key(y) === key(x))),
    );
  });

  it('connectivity --cluster: the workloads of the manifests under the live policies list what the whole repository lists', async () => {
    const live = await run(['connectivity', ...CONFIG, WORKLOADS, '--cluster', '--kubeconfig', kubeconfig]);
    assert.equal(live.code, 0, live.err);
    assert.match(live.err, /^stagewall: view: the cluster at .* NetworkPolicies, 0 Pods\), with the manifests applied on top\n$/);
    const whole = await run(['connectivity', ...CONFIG, GOOD]);
    assert.ok(whole.out.includes('etl-transform/transformer[Deployment] => etl-load/loader[StatefulSet] : TCP 8080'), whole.out);
    assert.equal(live.out, whole.out);
    const alone = await run(['connectivity', ...CONFIG, WORKLOADS]);
    assert.notEqual(alone.out, whole.out, 'without the live policies everything is open');
  });

  it('--kubeconfig and --context imply --cluster', async () => {
    const r = await run(['check', ...CONFIG, WORKLOADS, '--kubeconfig', kubeconfig, '--context', 'other']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.err, /view: the cluster at/);
  });

  it('a manifest replaces the live object of the same name, as kubectl apply would: a drifted stage policy blocks a declared edge', async () => {
    // flow-blocked is reported on Namespace manifests, for the pipeline as it would be after the apply.
    const flowBlocked = (r: { out: string }) =>
      (JSON.parse(r.out) as JsonReport).results
        .filter((x) => x.violations.some((v) => v.rule === 'flow-blocked'))
        .map((x) => x.name)
        .sort();
    const clean = await run(['check', ...CONFIG, `${GOOD}/namespaces.yaml`, '-o', 'json', '--cluster', '--kubeconfig', kubeconfig]);
    assert.equal(clean.code, 0, clean.out);
    assert.deepEqual(flowBlocked(clean), [], 'the live policies let the declared flow through');
    const drifted = await run(['check', ...CONFIG, `${GOOD}/namespaces.yaml`, DRIFT, '-o', 'json', '--cluster', '--kubeconfig', kubeconfig]);
    // Had the drifted policy been added beside the live one of its name, policies being additive,
    // nothing could be blocked: it replaced it. Same findings as the repository holding both.
    assert.deepEqual(flowBlocked(drifted), ['etl-transform']);
    assert.deepEqual(flowBlocked(drifted), flowBlocked(await run(['check', ...CONFIG, GOOD, DRIFT, '-o', 'json'])));
  });

  it('graph --cluster with no manifests draws the live cluster: the same edges as from the manifests it was made of, on representative pods (the snapshot holds no workloads)', async () => {
    const live = await run(['graph', ...CONFIG, '--format', 'json', '--cluster', '--kubeconfig', kubeconfig]);
    assert.equal(live.code, 0, live.err);
    const fromFiles = await run(['graph', ...CONFIG, '--format', 'json', GOOD]);
    type Graph = { pipelines: { stages: { workloads: string[]; representative: boolean }[] }[]; edges: unknown[] };
    const liveGraph = JSON.parse(live.out) as Graph;
    const filesGraph = JSON.parse(fromFiles.out) as Graph;
    assert.deepEqual(liveGraph.edges, filesGraph.edges);
    for (const stage of liveGraph.pipelines.flatMap((p) => p.stages)) assert.deepEqual([stage.workloads, stage.representative], [[], true]);
  });

  it('a live policy stagewall cannot read is skipped with a warning, not a failure of the manifests', async () => {
    // The API server of older clusters stored CIDRs with leading zeros, which stagewall refuses.
    const odd = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'legacy', namespace: 'etl-load' },
      spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '010.0.0.0/8' } }] }] },
    };
    const legacy = await startStandInApi([...LIVE, odd]);
    try {
      const r = await run(['check', ...CONFIG, WORKLOADS, '--kubeconfig', legacy.kubeconfig()]);
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.err, /^stagewall: warning: skipping NetworkPolicy etl-load\/legacy of the cluster: .*010\.0\.0\.0\/8/m);
      assert.match(r.err, /\(5 namespaces, 10 NetworkPolicies, 1 skipped\)/);
    } finally {
      await legacy.close();
    }
  });

  it('bad manifests are named before the cluster is asked anything', async () => {
    const r = await run(['check', ...CONFIG, 'no/such/path', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 2);
    assert.match(r.err, /error MANIFEST_READ/);
    assert.equal(api.requests.length, 0, 'no request reached the cluster');
  });

  it('an unreachable cluster, a refusal or an unknown context is bad input (exit 2), named, without a stack trace', async () => {
    api.fail = { code: 403, message: 'networkpolicies.networking.k8s.io is forbidden' };
    try {
      const refused = await run(['check', ...CONFIG, WORKLOADS, '--kubeconfig', kubeconfig]);
      assert.equal(refused.code, 2);
      assert.match(
        refused.err,
        /^stagewall: error CLUSTER: cannot read Namespaces and NetworkPolicies from the cluster at http:\/\/127\.0\.0\.1:\d+: HTTP 403: networkpolicies.networking.k8s.io is forbidden/,
      );
      assert.doesNotMatch(refused.err, STACK_LINE);
    } finally {
      api.fail = undefined;
    }
    const context = await run(['check', ...CONFIG, WORKLOADS, '--kubeconfig', kubeconfig, '--context', 'prod']);
    assert.equal(context.code, 2);
    assert.match(context.err, /the kubeconfig has no context "prod" \(it has: standin, other\)/);
    const gone = await startStandInApi([]);
    const goneConfig = gone.kubeconfig();
    await gone.close();
    const unreachable = await run(['graph', ...CONFIG, '--kubeconfig', goneConfig]);
    assert.equal(unreachable.code, 2);
    assert.match(unreachable.err, /error CLUSTER: .*ECONNREFUSED/);
    assert.equal(unreachable.out, '');
  });
});

/** A running Pod of a workload template, owned by its controller as a cluster would have it. */
function runningPod(workload: KubeObject): KubeObject {
  const { kind, metadata } = workload;
  const name = metadata?.name ?? '';
  const spec = workload['spec'] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const template = kind === 'CronJob' ? spec['jobTemplate'].spec.template : spec['template'];
  const owner =
    kind === 'Deployment'
      ? { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-7c9d` }
      : kind === 'CronJob'
        ? { apiVersion: 'batch/v1', kind: 'Job', name: `${name}-2912` }
        : { apiVersion: workload.apiVersion, kind, name };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${owner.name}-x1`,
      namespace: metadata?.namespace,
      labels: template.metadata?.labels,
      ownerReferences: [{ ...owner, uid: 'u', controller: true }],
    },
    spec: template.spec,
  };
}

describe('cli: connectivity --cluster lists the Pods running in the cluster', () => {
  const workloads = loadManifests([WORKLOADS]).map((o) => o.object);
  const pods = workloads.map(runningPod);
  let api: StandInApi;
  let kubeconfig: string;
  before(async () => {
    api = await startStandInApi([...LIVE, ...pods]);
    kubeconfig = api.kubeconfig();
  });
  after(() => api.close());

  it('with no manifest at all: each live Pod under its controller owner, with what the repository lists for its workload', async () => {
    const live = await run(['connectivity', ...CONFIG, '--cluster', '--kubeconfig', kubeconfig]);
    assert.equal(live.code, 0, live.err);
    assert.match(live.err, new RegExp(`, ${pods.length} Pods\\), with the manifests applied on top\n$`));
    assert.ok(
      api.requests.some((r) => r.startsWith('/api/v1/pods')),
      'Pods were listed',
    );
    // The repository's own listing, each workload renamed to the owner its running Pod names.
    const renamed = new Map(
      workloads.map((w, i) => {
        const owner = (pods[i]?.metadata?.ownerReferences as { kind: string; name: string }[])[0];
        return [`${w.metadata?.namespace}/${w.metadata?.name}[${w.kind}]`, `${w.metadata?.namespace}/${owner?.name}[${owner?.kind}]`];
      }),
    );
    const whole = (await run(['connectivity', ...CONFIG, GOOD])).out;
    const rename = (line: string) => line.replace(/[\w.-]+\/[\w.-]+\[\w+\]/g, (w) => renamed.get(w) ?? w);
    const lines = (text: string) => text.split('\n').filter(Boolean).sort();
    assert.ok(whole.includes('etl-transform/transformer[Deployment] => etl-load/loader[StatefulSet] : TCP 8080'));
    assert.ok(live.out.includes('etl-transform/transformer-7c9d[ReplicaSet] => etl-load/loader[StatefulSet] : TCP 8080'), live.out);
    assert.deepEqual(lines(live.out), lines(whole).map(rename).sort());
  });

  it('a manifest Pod replaces the live Pod of the same namespace and name', async () => {
    const first = pods[0] as KubeObject;
    const manifest = join(mkdtempSync(join(tmpdir(), 'stagewall-conn-')), 'pod.yaml');
    writeFileSync(manifest, JSON.stringify({ ...first, metadata: { ...first.metadata, ownerReferences: undefined } }));
    const live = await run(['connectivity', ...CONFIG, manifest, '--cluster', '--kubeconfig', kubeconfig]);
    assert.equal(live.code, 0, live.err);
    const ownerName = (first.metadata?.ownerReferences as { name: string }[])[0]?.name ?? '';
    assert.ok(!live.out.includes(`/${ownerName}[`), 'the live Pod is replaced');
    assert.ok(live.out.includes(`/${first.metadata?.name}[Pod]`), live.out);
  });
});
