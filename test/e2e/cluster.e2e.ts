// stagewall against a real kube-apiserver and etcd: every behaviour asserted as kubectl sees it.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadKubeConfigChoice, readClusterSnapshot } from '../../src/cluster/snapshot.js';
import { Cluster, ROOT, Stagewall, waitUntil } from './harness.js';

const CONFIG = `apiVersion: stagewall.dev/v1alpha1
kind: StagewallConfig
mode: enforce
pipelines:
  - name: etl
    stages:
      - name: extract
      - name: transform
      - name: load
  - name: audited
    mode: audit
    stages:
      - name: only
`;

function pod(namespace: string, name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], ...spec },
  });
}

function namespaceYaml(name: string, pipeline?: string): string {
  return stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: pipeline ? { 'stagewall.dev/pipeline': pipeline } : {} } });
}

describe('e2e: stagewall against a real kube-apiserver', function () {
  let cluster: Cluster;
  let stagewall: Stagewall;

  const diagnostics = () => `\n--- stagewall:\n${stagewall?.tail() ?? ''}\n${cluster?.logs() ?? ''}`;

  async function policiesIn(ns: string): Promise<string[]> {
    const out = await cluster.must(['get', 'networkpolicies', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}']);
    return out.split(/\s+/).filter(Boolean).sort();
  }

  async function createPipelineNamespace(name: string, pipeline: string): Promise<number> {
    const started = Date.now();
    await cluster.must(['apply', '-f', '-'], namespaceYaml(name, pipeline));
    await waitUntil(`default-deny in ${name}`, async () => (await policiesIn(name)).includes('stagewall-default-deny'), 30_000, 50);
    return Date.now() - started;
  }

  before(async function () {
    this.timeout(60 * 60 * 1000); // a cold build of the assets takes a while
    cluster = await Cluster.start();
    await cluster.must(['apply', '-f', `${ROOT}/manifests/namespace.yaml`, '-f', `${ROOT}/manifests/serviceaccount.yaml`, '-f', `${ROOT}/manifests/rbac.yaml`]);
    stagewall = new Stagewall(cluster, CONFIG);
    await stagewall.start();
    await cluster.must(['apply', '-f', '-'], stagewall.webhookConfigurations());
  });

  after(async function () {
    this.timeout(60_000);
    await stagewall?.stop();
    await cluster?.stop();
  });

  it('the manifests are accepted by a real API server (kubectl apply --dry-run=server -k manifests)', async () => {
    const r = await cluster.kubectl(['apply', '--dry-run=server', '-k', `${ROOT}/manifests`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment.apps\/stagewall created \(server dry run\)/);
    assert.match(r.stdout, /validatingwebhookconfiguration.admissionregistration.k8s.io\/stagewall (created|configured) \(server dry run\)/);
  });

  it('a pipeline namespace gets its default-deny policies, and the mutation names them', async () => {
    const ms = await createPipelineNamespace('etl-a', 'etl');
    process.stderr.write(`      namespace created -> default-deny applied in ${ms} ms\n`);
    assert.deepEqual(await policiesIn('etl-a'), ['stagewall-allow-dns', 'stagewall-default-deny']);
    const annotation = await cluster.must(['get', 'ns', 'etl-a', '-o', 'jsonpath={.metadata.annotations.stagewall\\.dev/default-deny}']);
    assert.equal(annotation, 'stagewall-default-deny,stagewall-allow-dns');
    const managers = await cluster.must([
      'get',
      'networkpolicy',
      'stagewall-default-deny',
      '-n',
      'etl-a',
      '--show-managed-fields',
      '-o',
      'jsonpath={.metadata.managedFields[*].manager}',
    ]);
    assert.match(managers, /\bstagewall\b/, 'applied with field manager stagewall');
    const metrics = await stagewall.metrics();
    assert.match(metrics, /stagewall_namespace_to_policy_seconds_count [1-9]/);
  });

  it("stagewall's RBAC lets it write its two managed policies and no other", async () => {
    const can = async (...args: string[]) => (await cluster.kubectl(['auth', 'can-i', ...args, '-n', 'etl-a'], { user: 'stagewall' })).stdout.trim();
    assert.equal(await can('patch', 'networkpolicies/stagewall-default-deny'), 'yes');
    assert.equal(await can('create', 'networkpolicies/stagewall-allow-dns'), 'yes');
    assert.equal(await can('patch', 'networkpolicies/someone-elses'), 'no');
    assert.equal(await can('create', 'networkpolicies'), 'no');
    assert.equal(await can('delete', 'networkpolicies/stagewall-default-deny'), 'no');
    assert.equal(await can('list', 'networkpolicies'), 'yes');
  });

  it('a pod without a stage label is refused, with the rule id in the message', async () => {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: pod('etl-a', 'no-stage') });
    assert.notEqual(r.code, 0, 'refused');
    assert.match(r.stderr, /denied the request: \[stage-label-missing\] Pod etl-a\/no-stage has no label stagewall\.dev\/stage/, r.stderr + diagnostics());
  });

  it('a labelled pod is admitted and carries the pipeline label stagewall added', async () => {
    await cluster.must(['apply', '-f', '-'], pod('etl-a', 'extractor', { 'stagewall.dev/stage': 'extract' }));
    const labels = JSON.parse(await cluster.must(['get', 'pod', 'extractor', '-n', 'etl-a', '-o', 'jsonpath={.metadata.labels}'])) as Record<string, string>;
    assert.equal(labels['stagewall.dev/pipeline'], 'etl');
    assert.equal(labels['stagewall.dev/stage'], 'extract');
  });

  it('a workload with a bad pod template is refused at kubectl apply, not later', async () => {
    const deployment = stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'typo', namespace: 'etl-a' },
      spec: {
        selector: { matchLabels: { app: 'typo' } },
        template: {
          metadata: { labels: { app: 'typo', 'stagewall.dev/stage': 'transfrom' } },
          spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
        },
      },
    });
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: deployment });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\[stage-unknown\] Deployment etl-a\/typo \(pod template\)/, r.stderr);
  });

  it('kubectl apply --dry-run=server shows the rejection and leaves nothing behind', async () => {
    const r = await cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: pod('etl-a', 'dry-no-stage') });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\[stage-label-missing\]/);
    const get = await cluster.kubectl(['get', 'pod', 'dry-no-stage', '-n', 'etl-a']);
    assert.match(get.stderr, /NotFound/);

    const ns = await cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: namespaceYaml('etl-dry', 'etl') });
    assert.equal(ns.code, 0, ns.stderr);
    await new Promise((r2) => setTimeout(r2, 2000));
    assert.match((await cluster.kubectl(['get', 'ns', 'etl-dry'])).stderr, /NotFound/);
    assert.deepEqual(await policiesIn('etl-dry'), [], 'a dry-run namespace creates no policies');
  });

  it('audit mode admits the object, and kubectl prints the warning', async () => {
    await createPipelineNamespace('audited-a', 'audited');
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: pod('audited-a', 'unlabelled') });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: \[stage-label-missing\] Pod audited-a\/unlabelled/);
    await waitUntil(
      'the audit event',
      () => stagewall.logLines().some((l) => l['event'] === 'audit' && l['rule'] === 'stage-label-missing' && l['namespace'] === 'audited-a'),
      5000,
    );
    const event = stagewall.logLines().find((l) => l['event'] === 'audit' && l['namespace'] === 'audited-a');
    assert.equal(event?.['user'], 'e2e-admin');
    assert.ok(event?.['uid']);
  });

  it('NetworkPolicy flow violations are refused', async () => {
    const policy = (name: string, ingress: unknown[]) =>
      stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name, namespace: 'etl-a' },
        spec: { podSelector: { matchLabels: { 'stagewall.dev/stage': 'transform' } }, ingress },
      });
    let r = await cluster.kubectl(['apply', '-f', '-'], {
      input: policy('from-load', [{ from: [{ podSelector: { matchLabels: { 'stagewall.dev/stage': 'load' } } }] }]),
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\[ingress-flow\] NetworkPolicy etl-a\/from-load/, r.stderr);
    r = await cluster.kubectl(['apply', '-f', '-'], { input: policy('from-anywhere', [{ from: [{ namespaceSelector: {} }] }]) });
    assert.match(r.stderr, /\[ingress-open\]/, r.stderr);
    r = await cluster.kubectl(['apply', '-f', '-'], {
      input: policy('from-extract', [{ from: [{ podSelector: { matchLabels: { 'stagewall.dev/stage': 'extract' } } }] }]),
    });
    assert.equal(r.code, 0, r.stderr);
  });

  it('check --cluster judges manifests against the live cluster, whose objects it reads as the API server wrote them', async () => {
    const dir = mkdtempSync(join(cluster.work, 'check-cluster-'));
    const configFile = join(dir, 'stagewall.yaml');
    const podFile = join(dir, 'pod.yaml');
    writeFileSync(configFile, CONFIG);
    writeFileSync(podFile, `${namespaceYaml('etl-a', 'etl')}---\n${pod('etl-a', 'transformer', { 'stagewall.dev/stage': 'transform' })}`);
    const check = (...args: string[]) =>
      spawnSync(process.execPath, [join(ROOT, 'bin/stagewall.js'), 'check', '-c', configFile, podFile, ...args], { encoding: 'utf8' });
    // Alone, the pod's namespace has no policy in the view; in the cluster, the injected default-deny covers it.
    const alone = check();
    assert.equal(alone.status, 1, alone.stdout + alone.stderr);
    assert.match(alone.stdout, /ingress-uncovered/);
    const live = check('--cluster', '--kubeconfig', cluster.kubeconfig('admin'));
    assert.equal(live.status, 0, live.stdout + live.stderr);
    assert.match(
      live.stderr,
      /^stagewall: view: the cluster at https:\/\/127\.0\.0\.1:\d+ \(\d+ namespaces, \d+ NetworkPolicies\), with the manifests applied on top$/m,
    );
    // stagewall's own least-privilege account can read the snapshot too, and every field survives
    // the trip (client-node's typed models would have renamed an ingress rule's `from` to `_from`).
    const fromExtract = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'snapshot-from-extract', namespace: 'etl-a' },
      spec: {
        podSelector: { matchLabels: { 'stagewall.dev/stage': 'transform' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { 'stagewall.dev/stage': 'extract' } } }] }],
      },
    };
    await cluster.must(['apply', '-f', '-'], stringify(fromExtract));
    const snapshot = await readClusterSnapshot(loadKubeConfigChoice({ kubeconfig: cluster.kubeconfig('stagewall') }));
    const read = snapshot.objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata?.namespace === 'etl-a' && o.metadata?.name === 'snapshot-from-extract');
    const stored = JSON.parse(await cluster.must(['get', 'networkpolicy', 'snapshot-from-extract', '-n', 'etl-a', '-o', 'json'])) as { spec: unknown };
    assert.deepEqual(read?.['spec'], stored.spec);
    assert.deepEqual((stored.spec as { ingress: { from: unknown[] }[] }).ingress[0]?.from, [
      { podSelector: { matchLabels: { 'stagewall.dev/stage': 'extract' } } },
    ]);
    // An account without the two list permissions: bad input (exit 2), in the API server's words.
    const refused = check('--cluster', '--kubeconfig', cluster.kubeconfig('nobody'));
    assert.equal(refused.status, 2, refused.stdout + refused.stderr);
    assert.match(
      refused.stderr,
      /error CLUSTER: cannot read Namespaces and NetworkPolicies from the cluster at https:\/\/127\.0\.0\.1:\d+: HTTP 403: namespaces is forbidden: User "e2e-nobody" cannot list resource "namespaces"/,
    );
    assert.match(refused.stderr, /needs get and list on namespaces and on networkpolicies/);
  });

  it('removing the pipeline label of a namespace is refused (it would switch stagewall off there)', async () => {
    const r = await cluster.kubectl(['label', 'namespace', 'etl-a', 'stagewall.dev/pipeline-']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\[pipeline-label-removed\] Namespace etl-a: the update removes label stagewall\.dev\/pipeline=etl/, r.stderr);
    const other = await cluster.kubectl(['label', 'namespace', 'etl-a', 'team=data']);
    assert.equal(other.code, 0, other.stderr);
  });

  it('deleting a managed policy is refused', async () => {
    const r = await cluster.kubectl(['delete', 'networkpolicy', 'stagewall-default-deny', '-n', 'etl-a']);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /\[managed-policy-protected\] NetworkPolicy etl-a\/stagewall-default-deny is managed by stagewall.*e2e-admin may not delete it/,
      r.stderr,
    );
    assert.ok((await policiesIn('etl-a')).includes('stagewall-default-deny'));
  });

  it('a managed policy deleted behind its back (webhook bypassed) is repaired', async () => {
    // Remove the webhook registration so the delete goes through, as with an outage.
    await cluster.must(['delete', 'validatingwebhookconfiguration', 'stagewall']);
    await cluster.must(['delete', 'networkpolicy', 'stagewall-allow-dns', '-n', 'etl-a']);
    await waitUntil('the repaired allow-dns', async () => (await policiesIn('etl-a')).includes('stagewall-allow-dns'), 30_000);
    await cluster.must(['apply', '-f', '-'], stagewall.webhookConfigurations());
  });

  it('install-certs.sh writes every caBundle, rotates with both CAs, and kubectl apply -k keeps it (upgrade)', async () => {
    const env = { ...process.env, PATH: `${cluster.assets}:${process.env['PATH'] ?? ''}`, KUBECONFIG: cluster.kubeconfig('admin') };
    const sh = (args: string[], extra: Record<string, string> = {}) => {
      const r = spawnSync('bash', [`${ROOT}/hack/install-certs.sh`, ...args], { env: { ...env, ...extra }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr + r.stdout);
    };
    const bundles = async () => {
      const out: string[] = [];
      for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
        const text = await cluster.must(['get', kind, 'stagewall', '-o', 'jsonpath={range .webhooks[*]}{.clientConfig.caBundle}{"\\n"}{end}']);
        out.push(...text.split('\n').filter(Boolean));
      }
      return out.map((b) => Buffer.from(b, 'base64').toString('utf8'));
    };
    const certs = (dir: string) => {
      const r = spawnSync(process.execPath, [`${ROOT}/bin/stagewall.js`, 'certs', '--out', dir], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return readFileSync(join(dir, 'ca.crt'), 'utf8');
    };
    const first = mkdtempSync(join(cluster.work, 'certs-a-'));
    const second = mkdtempSync(join(cluster.work, 'certs-b-'));
    const caA = certs(first);
    const caB = certs(second);
    try {
      await cluster.must(['apply', '-k', `${ROOT}/manifests`]);
      const guards = async () => {
        let names = '';
        for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
          names += await cluster.must(['get', kind, 'stagewall', '-o', 'jsonpath={range .webhooks[*]}{range .matchConditions[*]}{.name} {end}{end}']);
        }
        return names.split(/\s+/).filter((n) => n === 'stagewall-starting').length;
      };
      assert.equal(await guards(), 7, 'the manifests ship the starting guard in every webhook');
      sh([first]);
      assert.equal(await guards(), 0, 'install-certs.sh removes the guard with the bundle it writes');
      let all = await bundles();
      assert.equal(all.length, 7, 'five validating and two mutating webhooks');
      for (const b of all) assert.equal(b.trim(), caA.trim());
      assert.match(await cluster.must(['get', 'secret', 'stagewall-tls', '-n', 'stagewall-system', '-o', 'jsonpath={.type}']), /kubernetes.io\/tls/);

      sh([second]); // rotation: both CAs trusted while the pods reload the Secret
      for (const b of await bundles()) assert.equal(b.trim(), `${caB.trim()}\n${caA.trim()}`);
      sh([second], { PRUNE: '1' });
      for (const b of await bundles()) assert.equal(b.trim(), caB.trim());

      await cluster.must(['apply', '-k', `${ROOT}/manifests`]); // an upgrade re-applies the manifests
      all = await bundles();
      assert.equal(all.length, 7);
      for (const b of all) assert.equal(b.trim(), caB.trim(), 're-applying the manifests keeps the caBundle');
    } finally {
      await cluster.must(['apply', '-f', '-'], stagewall.webhookConfigurations());
    }
  });

  it("stagewall's informer recovers after the API server is restarted", async () => {
    const since = new Date().toISOString();
    await cluster.restartApiServer();
    // A namespace made after the restart gets its policies only if the watch came back.
    await waitUntil(
      'a fresh namespace covered after the restart',
      async () => {
        await cluster.kubectl(['apply', '-f', '-'], { input: namespaceYaml('etl-after-restart', 'etl') });
        return (await policiesIn('etl-after-restart')).includes('stagewall-default-deny');
      },
      90_000,
      1000,
    );
    const after = stagewall.logLines().filter((l) => String(l['time']) > since);
    assert.ok(
      after.some((l) => l['event'] === 'watch-error' || l['event'] === 'watch-gone'),
      'the reflectors noticed the restart',
    );
    assert.ok(
      after.some((l) => l['event'] === 'relist'),
      'and listed again',
    );
  });

  it('kube-system pods are admitted while stagewall is stopped; pipeline pods fail closed', async () => {
    assert.equal(await stagewall.stop(), 0, 'stagewall exits 0 on SIGTERM');
    const system = await cluster.kubectl(['apply', '-f', '-'], { input: pod('kube-system', 'while-stagewall-is-down', { 'stagewall.dev/pipeline': 'etl' }) });
    assert.equal(system.code, 0, system.stderr);
    const pipeline = await cluster.kubectl(['apply', '-f', '-'], { input: pod('etl-a', 'while-down', { 'stagewall.dev/stage': 'load' }) });
    assert.notEqual(pipeline.code, 0, 'a pipeline pod is not admitted unjudged');
    assert.match(pipeline.stderr, /failed calling webhook/);
  });
});
