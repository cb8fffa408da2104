// serve --manage-certs against a real kube-apiserver: from no Secret and webhooks without a
// bundle to a working webhook, bundle repair after an apply, rotations of the serving certificate
// and of the CA under a stream of admissions with no failed call, and two replicas agreeing on one CA.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { parseAllDocuments, stringify } from 'yaml';
import { pemCertificates } from '../../src/certs/managed.js';
import { Cluster, ROOT, Stagewall, freePort, waitUntil } from './harness.js';

const CONFIG = `apiVersion: stagewall.dev/v1alpha1
kind: StagewallConfig
mode: enforce
defaultDeny:
  enabled: false
pipelines:
  - name: etl
    stages:
      - name: extract
      - name: transform
`;

/** About two minutes, so that both rotations happen within the run. */
const VALIDITY = '90s';

function pod(name: string, labels: Record<string, string> = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'etl-a', labels },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
  });
}

/** The certificate a replica serves, as a client trusting nothing in particular sees it. */
function servedBy(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const peer = socket.getPeerX509Certificate();
      socket.end();
      if (peer) resolve(peer);
      else reject(new Error('no certificate'));
    });
    socket.on('error', reject);
  });
}

describe('e2e: serve --manage-certs on a real kube-apiserver', function () {
  let cluster: Cluster;
  let first: Stagewall;
  let second: Stagewall;

  const diagnostics = () => `\n--- stagewall:\n${first?.tail() ?? ''}\n--- second:\n${second?.tail() ?? ''}\n${cluster?.logs() ?? ''}`;

  async function secret(): Promise<Record<string, string>> {
    const data = JSON.parse(await cluster.must(['get', 'secret', 'stagewall-tls', '-n', 'stagewall-system', '-o', 'jsonpath={.data}'])) as Record<
      string,
      string
    >;
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  }

  /** The caBundle of every webhook of both configurations, decoded. */
  async function bundles(): Promise<string[]> {
    const out: string[] = [];
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      const text = await cluster.must(['get', kind, 'stagewall', '-o', 'jsonpath={range .webhooks[*]}{.clientConfig.caBundle}{"\\n"}{end}']);
      out.push(
        ...text
          .split('\n')
          .filter((l, i, all) => i < all.length - 1 || l !== '')
          .map((b) => Buffer.from(b, 'base64').toString('utf8')),
      );
    }
    return out;
  }

  /** The names of the starting guards left in both configurations. */
  async function guards(): Promise<string> {
    let names = '';
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      names += await cluster.must(['get', kind, 'stagewall', '-o', 'jsonpath={range .webhooks[*]}{range .matchConditions[*]}{.name} {end}{end}']);
    }
    return names
      .split(/\s+/)
      .filter((n) => n === 'stagewall-starting')
      .join(' ');
  }

  before(async function () {
    this.timeout(60 * 60 * 1000);
    cluster = await Cluster.start();
    await cluster.must(['apply', '-f', `${ROOT}/manifests/namespace.yaml`, '-f', `${ROOT}/manifests/serviceaccount.yaml`, '-f', `${ROOT}/manifests/rbac.yaml`]);
    await cluster.must(['create', 'namespace', 'etl-a']);
    await cluster.must(['label', 'namespace', 'etl-a', 'stagewall.dev/pipeline=etl']);
    // Covers every pod of etl-a both ways, so that a labelled pod is admitted.
    await cluster.must(
      ['apply', '-f', '-'],
      stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'deny-all', namespace: 'etl-a' },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      }),
    );
    const args = ['--cert-dns=127.0.0.1', `--cert-validity=${VALIDITY}`];
    first = new Stagewall(cluster, CONFIG, { name: 'stagewall-1', manageCerts: args });
    second = new Stagewall(cluster, CONFIG, { name: 'stagewall-2', manageCerts: args });
    first.port = await freePort();
  });

  after(async function () {
    this.timeout(60_000);
    await Promise.all([first?.stop(), second?.stop()]);
    await cluster?.stop();
  });

  it('from no Secret and webhooks without a bundle, two replicas started at once create one Secret, agree on one CA, write the bundle and become ready', async () => {
    const none = await cluster.kubectl(['get', 'secret', 'stagewall-tls', '-n', 'stagewall-system']);
    assert.notEqual(none.code, 0, 'no Secret to begin with');
    await cluster.must(['apply', '-f', '-'], first.webhookConfigurations(false));
    assert.ok(
      (await bundles()).every((b) => b === ''),
      'the webhooks start without a bundle',
    );
    // Before stagewall runs: refused, with a message, and neither an x509 error nor admitted.
    const early = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], { input: pod('early', { 'stagewall.dev/stage': 'extract' }) });
    assert.notEqual(early.code, 0, 'not admitted unjudged');
    assert.match(early.stderr, /stagewall is starting: its CA is not in this webhook yet, retry in a few seconds/);
    assert.doesNotMatch(early.stderr, /x509|certificate/);
    await Promise.all([first.start(false), second.start(false)]);
    await Promise.all([first.ready(), second.ready()]);
    const data = await secret();
    assert.deepEqual(Object.keys(data).sort(), ['ca-bundle.crt', 'ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    assert.equal(pemCertificates(data['ca-bundle.crt'] ?? '').length, 1, 'one CA');
    const ca = new X509Certificate(data['ca.crt'] ?? '');
    for (const replica of [first, second]) {
      const served = await servedBy(replica.port);
      assert.ok(served.checkIssued(ca) && served.verify(ca.publicKey), 'both replicas serve a certificate of the one CA');
      assert.match(served.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    }
    const all = await bundles();
    assert.equal(all.length, 7, 'every webhook of both configurations');
    for (const b of all) assert.equal(b, data['ca-bundle.crt']);
    assert.equal(await guards(), '', 'the starting guard went with the bundle');
    const created = [first, second].flatMap((s) => s.logLines()).filter((l) => l['event'] === 'certificate-created');
    assert.equal(created.length, 1, 'one replica created the Secret, the other adopted it');
    await second.stop();
  });

  it('a pod without a stage label is refused through the API server', async () => {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: pod('no-stage') });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /denied the request: \[stage-label-missing\] Pod etl-a\/no-stage/, r.stderr + diagnostics());
  });

  it('an apply that resets the bundles (kubectl replace) is repaired within seconds', async () => {
    const before = await bundles();
    const writes = async () => Number(/stagewall_ca_bundle_writes_total\{result="success"\} (\d+)/.exec(await first.metrics())?.[1] ?? 0);
    const writesBefore = await writes();
    await cluster.must(['replace', '-f', '-'], first.webhookConfigurations(false));
    assert.ok(
      (await bundles()).every((b) => b === ''),
      'reset',
    );
    const ms = await waitUntil('the bundle written again', async () => (await bundles()).every((b, i) => b !== '' && b === before[i]), 20_000, 200);
    process.stderr.write(`      bundle re-written ${ms} ms after the reset\n`);
    assert.equal(await guards(), '', 'the re-applied guard is removed with it');
    assert.ok(ms < 10_000);
    assert.ok((await writes()) > writesBefore, 'counted in stagewall_ca_bundle_writes_total');
  });

  it('the cert-manager component renders files mode: no --manage-certs, the Secret mounted, CA injection, and no starting guard left', async () => {
    const dir = mkdtempSync(join(cluster.work, 'overlay-'));
    cpSync(join(ROOT, 'manifests'), join(dir, 'base'), { recursive: true });
    mkdirSync(join(dir, 'overlay'));
    writeFileSync(join(dir, 'overlay', 'kustomization.yaml'), 'resources: [../base]\ncomponents: [../base/components/cert-manager]\n');
    const r = spawnSync(join(cluster.assets, 'kubectl'), ['kustomize', join(dir, 'overlay')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const docs = parseAllDocuments(r.stdout).map(
      (d) =>
        d.toJS() as {
          kind: string;
          metadata: { name: string; annotations?: Record<string, string> };
          webhooks?: { matchConditions?: { name: string }[] }[];
          spec?: unknown;
        },
    );
    const deployment = JSON.stringify(docs.find((d) => d.kind === 'Deployment'));
    assert.doesNotMatch(deployment, /--manage-certs/);
    assert.match(deployment, /--tls-cert=\/etc\/stagewall\/tls\/tls\.crt.*--tls-key=\/etc\/stagewall\/tls\/tls\.key/);
    assert.match(deployment, /"secretName":"stagewall-tls"/);
    const configs = docs.filter((d) => d.kind.endsWith('WebhookConfiguration'));
    assert.equal(configs.length, 2);
    for (const config of configs) {
      assert.equal(config.metadata.annotations?.['cert-manager.io/inject-ca-from'], 'stagewall-system/stagewall-serving');
      assert.ok(
        config.webhooks?.every((w) => !(w.matchConditions ?? []).some((c) => c.name === 'stagewall-starting')),
        'no guard: nothing would remove it',
      );
    }
    const serving = docs.find((d) => d.kind === 'Certificate' && d.metadata.name === 'stagewall-serving') as
      { spec: { secretName: string; dnsNames: string[] } } | undefined;
    assert.equal(serving?.spec.secretName, 'stagewall-tls');
    assert.ok(serving?.spec.dnsNames.includes('stagewall.stagewall-system.svc'));
  });

  it(`with --cert-validity ${VALIDITY}, the serving certificate and the CA rotate while pods are created (--dry-run=server), with 0 failed calls`, async function () {
    this.timeout(6 * 60_000);
    const caAtStart = new X509Certificate((await secret())['ca.crt'] ?? '').fingerprint256;
    const servingSeen = new Set<string>();
    const caSeen = new Set<string>([caAtStart]);
    let calls = 0;
    const failures: string[] = [];
    const deadline = Date.now() + 5 * 60_000;
    const rotated = () =>
      /stagewall_certificate_rotations_total\{certificate="ca"\} [1-9]/.test(metricsText) && /certificate="serving"\} [1-9]/.test(metricsText);
    let metricsText = '';
    let caDropped = false;
    while (Date.now() < deadline && !(rotated() && caDropped)) {
      const labelled = calls % 2 === 0;
      const r = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], {
        input: pod(`p${calls}`, labelled ? { 'stagewall.dev/stage': 'extract' } : {}),
      });
      calls += 1;
      const ok = labelled ? r.code === 0 : r.code !== 0 && /\[stage-label-missing\]/.test(r.stderr);
      if (!ok) failures.push(`call ${calls}: ${r.stderr.trim()}`);
      if (calls % 10 === 0) {
        metricsText = await first.metrics();
        servingSeen.add((await servedBy(first.port)).fingerprint256);
        const data = await secret();
        caSeen.add(new X509Certificate(data['ca.crt'] ?? '').fingerprint256);
        // The rotation is over once the old CA has left the bundle again.
        caDropped = caSeen.size > 1 && pemCertificates(data['ca-bundle.crt'] ?? '').length === 1;
      }
    }
    process.stderr.write(`      ${calls} admissions, ${failures.length} failed; serving certificates served: ${servingSeen.size}, CAs: ${caSeen.size}\n`);
    assert.deepEqual(failures, [], diagnostics());
    assert.ok(
      rotated(),
      `a serving and a CA rotation: ${metricsText
        .split('\n')
        .filter((l) => l.includes('rotations'))
        .join('; ')}`,
    );
    assert.ok(caDropped, 'the old CA left the bundle after the switch');
    assert.ok(servingSeen.size >= 2, 'the served certificate changed without a restart');
    // The Secret is written before the webhooks' bundles and the log line: the loop can see the
    // one-CA Secret a moment before the drop is logged.
    await waitUntil('the CA drop in the log', () => first.logLines().some((l) => l['event'] === 'certificate-ca-dropped'), 30_000);
    const events = first.logLines().map((l) => l['event']);
    const added = events.indexOf('certificate-ca-added');
    const switched = events.indexOf('certificate-serving-renewed', added);
    const dropped = events.indexOf('certificate-ca-dropped', switched);
    assert.ok(
      added >= 0 && switched > added && dropped > switched,
      `CA added, serving switched, old CA dropped, in order: ${[added, switched, dropped].join(', ')}`,
    );
  });
});
