import { strict as assert } from 'node:assert';
import { DefaultDenyReconciler, policyUpToDate } from '../../src/cluster/reconciler.js';
import { managedPolicies } from '../../src/engine/generate.js';
import type { NetworkPolicy } from '../../src/engine/types.js';
import { IndexedView } from '../../src/engine/view.js';
import { createMetrics } from '../../src/server/metrics.js';
import { silentLogger } from '../../src/server/log.js';
import { etlConfig } from '../helpers/config.js';
import { namespace } from '../helpers/review.js';

function setup(options: { failFirst?: number; config?: ReturnType<typeof etlConfig> } = {}) {
  const view = new IndexedView();
  const applied: NetworkPolicy[] = [];
  let failures = options.failFirst ?? 0;
  const metrics = createMetrics({ defaultMetrics: false });
  const config = options.config ?? etlConfig();
  const reconciler = new DefaultDenyReconciler({
    apply: async (policy) => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('apiserver unavailable');
      }
      applied.push(policy);
      view.upsertPolicy(policy); // what the watch would deliver
    },
    config: () => config,
    view,
    ownNamespace: 'stagewall-system',
    metrics,
    logger: silentLogger(),
    initialBackoffMs: 5,
  });
  return { view, applied, reconciler, metrics };
}

const pipelineNs = namespace('etl-a', { 'stagewall.dev/pipeline': 'etl' });

describe('cluster/reconciler: default-deny injection', () => {
  it('applies the default-deny pair to a new pipeline namespace', async () => {
    const { view, applied, reconciler } = setup();
    view.upsertNamespace(pipelineNs);
    reconciler.namespaceChanged(pipelineNs);
    await reconciler.idle();
    assert.deepEqual(
      applied.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`),
      ['etl-a/stagewall-default-deny', 'etl-a/stagewall-allow-dns'],
    );
  });

  it('leaves non-pipeline, exempt and its own namespaces alone', async () => {
    const { view, applied, reconciler } = setup();
    for (const ns of [
      namespace('warehouse'),
      namespace('kube-system', { 'stagewall.dev/pipeline': 'etl' }),
      namespace('stagewall-system', { 'stagewall.dev/pipeline': 'etl' }),
      namespace('x', { 'stagewall.dev/pipeline': 'unknown' }),
    ]) {
      view.upsertNamespace(ns);
      reconciler.namespaceChanged(ns);
    }
    await reconciler.idle();
    assert.equal(applied.length, 0);
  });

  it('does nothing when defaultDeny is disabled', async () => {
    const { view, applied, reconciler } = setup({ config: etlConfig({ defaultDeny: { enabled: false } }) });
    view.upsertNamespace(pipelineNs);
    reconciler.namespaceChanged(pipelineNs);
    await reconciler.idle();
    assert.equal(applied.length, 0);
  });

  it('is idempotent: up-to-date policies are not applied again', async () => {
    const { view, applied, reconciler } = setup();
    view.upsertNamespace(pipelineNs);
    reconciler.namespaceChanged(pipelineNs);
    await reconciler.idle();
    reconciler.resyncAll();
    await reconciler.idle();
    assert.equal(applied.length, 2);
  });

  it('backfills existing pipeline namespaces on resync', async () => {
    const { view, applied, reconciler } = setup();
    view.upsertNamespace(pipelineNs);
    view.upsertNamespace(namespace('etl-b', { 'stagewall.dev/pipeline': 'etl' }));
    reconciler.resyncAll();
    await reconciler.idle();
    assert.equal(applied.length, 4);
  });

  it('repairs a deleted managed policy', async () => {
    const { view, applied, reconciler } = setup();
    view.upsertNamespace(pipelineNs);
    reconciler.namespaceChanged(pipelineNs);
    await reconciler.idle();
    const deleted = view.policiesIn('etl-a').find((p) => p.name === 'stagewall-default-deny')!.raw;
    view.deletePolicy('etl-a', 'stagewall-default-deny');
    reconciler.policyChanged(deleted);
    await reconciler.idle();
    assert.equal(applied.length, 3);
    assert.equal(applied[2]?.metadata?.name, 'stagewall-default-deny');
  });

  it('repairs an edited managed policy', async () => {
    const { view, applied, reconciler } = setup();
    view.upsertNamespace(pipelineNs);
    reconciler.namespaceChanged(pipelineNs);
    await reconciler.idle();
    const edited: NetworkPolicy = { ...managedPolicies('etl-a', etlConfig())[0]!, spec: { podSelector: {}, policyTypes: ['Ingress'] } };
    view.upsertPolicy(edited);
    reconciler.policyChanged(edited);
    await reconciler.idle();
    assert.equal(applied.length, 3);
    assert.deepEqual(applied[2]?.spec?.policyTypes, ['Ingress', 'Egress']);
  });

  it('retries failed applies with backoff and counts the failures', async () => {
    const { view, applied, reconciler, metrics } = setup({ failFirst: 3 });
    view.upsertNamespace(pipelineNs);
    reconciler.namespaceChanged(pipelineNs);
    await reconciler.idle();
    assert.equal(applied.length, 2);
    const failures = await metrics.registry.getSingleMetricAsString('stagewall_managed_policy_apply_failures_total');
    assert.match(failures, /policy="stagewall-default-deny"} 3/);
  });

  it('records the time from namespace creation to its default-deny', async () => {
    const { view, reconciler, metrics } = setup();
    const fresh = namespace('etl-c', { 'stagewall.dev/pipeline': 'etl' });
    fresh.metadata!.creationTimestamp = new Date(Date.now() - 200).toISOString();
    view.upsertNamespace(fresh);
    reconciler.namespaceChanged(fresh);
    await reconciler.idle();
    const text = await metrics.registry.getSingleMetricAsString('stagewall_namespace_to_policy_seconds');
    assert.match(text, /stagewall_namespace_to_policy_seconds_count 1/);
  });
});

describe('cluster/reconciler: policyUpToDate', () => {
  const desired = managedPolicies('ns', etlConfig())[0]!;
  const rows: { name: string; existing: NetworkPolicy | undefined; want: boolean }[] = [
    { name: 'missing policy is not up to date', existing: undefined, want: false },
    {
      name: 'same spec with keys in another order is up to date',
      existing: { ...desired, spec: { policyTypes: ['Ingress', 'Egress'], podSelector: {} } },
      want: true,
    },
    { name: 'a spec changed by someone is not', existing: { ...desired, spec: { podSelector: {}, policyTypes: ['Egress'] } }, want: false },
    { name: 'a policy without the managed-by label is not', existing: { ...desired, metadata: { ...desired.metadata, labels: {} } }, want: false },
  ];
  for (const r of rows) it(r.name, () => assert.equal(policyUpToDate(r.existing, desired), r.want));
});

describe('cluster/reconciler: events during a running reconcile', () => {
  it('an event that arrives while an apply is in flight is not lost', async () => {
    const view = new IndexedView();
    const applied: string[] = [];
    let release: (() => void) | undefined;
    const reconciler = new DefaultDenyReconciler({
      apply: async (policy) => {
        if (policy.metadata?.name === 'stagewall-default-deny' && applied.length === 0) {
          await new Promise<void>((r) => (release = r)); // a slow API server
        }
        applied.push(policy.metadata?.name ?? '');
        view.upsertPolicy(policy);
      },
      config: () => etlConfig(),
      view,
      metrics: createMetrics({ defaultMetrics: false }),
      logger: silentLogger(),
      initialBackoffMs: 5,
    });
    // allow-dns is already in place (a peer replica applied it), so the snapshot skips it.
    const dns = managedPolicies('etl-a', etlConfig())[1]!;
    view.upsertPolicy(dns);
    view.upsertNamespace(pipelineNs);
    reconciler.namespaceChanged(pipelineNs);
    await new Promise((r) => setTimeout(r, 10));
    // While default-deny is being applied, someone deletes allow-dns.
    view.deletePolicy('etl-a', 'stagewall-allow-dns');
    reconciler.policyChanged(dns);
    release?.();
    await reconciler.idle();
    assert.deepEqual(
      view
        .policiesIn('etl-a')
        .map((p) => p.name)
        .sort(),
      ['stagewall-allow-dns', 'stagewall-default-deny'],
    );
  });

  it('terminating namespaces get nothing applied, and a deleted namespace is forgotten', async () => {
    const { view, applied, reconciler } = setup();
    const terminating = namespace('etl-gone', { 'stagewall.dev/pipeline': 'etl' });
    terminating.metadata!.deletionTimestamp = new Date().toISOString();
    view.upsertNamespace(terminating);
    reconciler.namespaceChanged(terminating);
    reconciler.resyncAll();
    await reconciler.idle();
    assert.equal(applied.length, 0);
  });
});
