import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import {
  CertificatePlanner,
  WriteConflict,
  bundleTrusts,
  parseState,
  pemCertificates,
  syncCertificates,
  type CertificateAction,
  type CertificateState,
  type CertificateStore,
  type StoredState,
} from '../../src/certs/managed.js';
import { CertificateManager } from '../../src/certs/manager.js';
import { createLogger } from '../../src/server/log.js';
import { createMetrics } from '../../src/server/metrics.js';

const MINUTE = 60_000;
const WEBHOOKS = [
  'ValidatingWebhookConfiguration stagewall webhook pods',
  'ValidatingWebhookConfiguration stagewall webhook namespaces',
  'MutatingWebhookConfiguration stagewall webhook pods',
];

/** The API server as the certificate store sees it: one Secret with a resourceVersion, and the webhooks' bundles. */
class FakeApi {
  secret: { state?: CertificateState; raw?: string; rv: number } | undefined;
  readonly bundles = new Map<string, string>(WEBHOOKS.map((w) => [w, '']));
  readonly log: string[] = [];
  private rv = 0;

  store(): CertificateStore {
    return {
      read: async (): Promise<StoredState> => {
        await Promise.resolve();
        if (!this.secret) return { state: undefined, resourceVersion: undefined };
        if (this.secret.state === undefined) return { state: undefined, invalid: 'garbage', resourceVersion: String(this.secret.rv) };
        return { state: this.secret.state, resourceVersion: String(this.secret.rv) };
      },
      write: async (state, resourceVersion) => {
        await Promise.resolve();
        if (resourceVersion === undefined && this.secret) {
          this.log.push('create: 409 AlreadyExists');
          throw new WriteConflict('secrets "stagewall-tls" already exists');
        }
        if (resourceVersion !== undefined && String(this.secret?.rv) !== resourceVersion) {
          this.log.push('update: 409 Conflict');
          throw new WriteConflict('the object has been modified');
        }
        this.log.push(resourceVersion === undefined ? 'create' : 'update');
        this.secret = { state, rv: (this.rv += 1) };
      },
      readBundles: async () => new Map(this.bundles),
      writeBundles: async (bundle) => {
        this.log.push('bundle');
        for (const name of this.bundles.keys()) this.bundles.set(name, bundle);
      },
    };
  }

  /** Every webhook trusts `cert`. */
  trusts(cert: string): boolean {
    const served = new X509Certificate(cert);
    return [...this.bundles.values()].every((b) => bundleTrusts(b, served));
  }
}

function planner(clock: { now: Date }, validityMs = 60 * MINUTE, graceMs = 3 * MINUTE, dns: string[] = ['127.0.0.1']) {
  return new CertificatePlanner({ service: 'stagewall', namespace: 'stagewall-system', dns, validityMs, graceMs, now: () => clock.now });
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('certs/managed: the Secret and the webhook bundles (serve --manage-certs)', function () {
  this.timeout(60_000);

  it('with no Secret, creates one (CA, bundle, serving cert signed by the CA for the Service and --cert-dns) and writes the bundle into every webhook', async () => {
    const api = new FakeApi();
    const clock = { now: new Date() };
    const result = await syncCertificates(api.store(), planner(clock));
    assert.deepEqual(api.log, ['create', 'bundle']);
    assert.deepEqual(result.actions, [{ kind: 'created', reason: 'no Secret' }]);
    const { ca, serving, bundle } = parseState(result.state);
    assert.equal(bundle.length, 1);
    assert.ok(serving.checkIssued(ca) && serving.verify(ca.publicKey));
    for (const name of ['stagewall.stagewall-system.svc', 'stagewall.stagewall-system.svc.cluster.local'])
      assert.ok(serving.subjectAltName?.includes(`DNS:${name}`), name);
    assert.ok(serving.subjectAltName?.includes('IP Address:127.0.0.1'));
    assert.ok(api.trusts(result.state.cert));
    const caDays = (Date.parse(ca.validTo) - Date.parse(serving.validTo)) / MINUTE;
    assert.ok(caDays > 50, 'the CA outlives the serving certificate');
  });

  it('an invalid Secret is replaced, as an update at its resourceVersion', async () => {
    const api = new FakeApi();
    api.secret = { rv: 7 };
    const result = await syncCertificates(api.store(), planner({ now: new Date() }));
    assert.deepEqual(api.log, ['update', 'bundle']);
    assert.match((result.actions[0] as { reason: string }).reason, /invalid: garbage/);
  });

  it("two replicas starting at once agree on one CA: the loser of the create (409 AlreadyExists) adopts the winner's", async () => {
    const api = new FakeApi();
    const clock = { now: new Date() };
    const [a, b] = await Promise.all([syncCertificates(api.store(), planner(clock)), syncCertificates(api.store(), planner(clock))]);
    assert.ok(api.log.includes('create: 409 AlreadyExists'), api.log.join(', '));
    assert.equal(api.log.filter((l) => l === 'create').length, 1);
    assert.equal(fingerprint(a.state.caCert), fingerprint(b.state.caCert));
    assert.equal(a.state.cert, b.state.cert);
    assert.equal(a.state.cert, api.secret?.state?.cert);
  });

  it('a lost update (409 Conflict) re-reads and adopts: two replicas renewing at once end with one serving certificate', async () => {
    const api = new FakeApi();
    const clock = { now: new Date() };
    await syncCertificates(api.store(), planner(clock));
    clock.now = new Date(clock.now.getTime() + 45 * MINUTE); // a quarter of the serving lifetime left
    const [a, b] = await Promise.all([syncCertificates(api.store(), planner(clock)), syncCertificates(api.store(), planner(clock))]);
    assert.ok(api.log.includes('update: 409 Conflict'), api.log.join(', '));
    assert.equal(a.state.cert, b.state.cert);
    assert.equal(a.state.cert, api.secret?.state?.cert);
  });

  it('a bundle reset by an apply is written again at the next sync', async () => {
    const api = new FakeApi();
    const clock = { now: new Date() };
    const first = await syncCertificates(api.store(), planner(clock));
    for (const name of api.bundles.keys()) api.bundles.set(name, '');
    assert.ok(!api.trusts(first.state.cert));
    const again = await syncCertificates(api.store(), planner(clock));
    assert.ok(again.bundleWritten);
    assert.ok(api.trusts(first.state.cert));
  });

  it('the serving certificate is renewed once less than a third of its lifetime is left, by the same CA, and not before', async () => {
    const api = new FakeApi();
    const clock = { now: new Date() };
    const first = await syncCertificates(api.store(), planner(clock));
    const rows: { minutes: number; renewed: boolean }[] = [
      { minutes: 30, renewed: false },
      { minutes: 38, renewed: false }, // 60 min + 6 min backdating: due below 22 min left, at minute 38
      { minutes: 39, renewed: true },
    ];
    for (const row of rows) {
      clock.now = new Date(first.state.servedSince.getTime() + row.minutes * MINUTE);
      const step = await syncCertificates(api.store(), planner(clock));
      assert.equal(
        step.actions.some((a) => a.kind === 'serving-renewed'),
        row.renewed,
        `minute ${row.minutes}`,
      );
      if (row.renewed) assert.equal(fingerprint(step.state.caCert), fingerprint(first.state.caCert), 'same CA');
    }
  });

  it('new --cert-dns names renew the serving certificate', async () => {
    const api = new FakeApi();
    const clock = { now: new Date() };
    await syncCertificates(api.store(), planner(clock));
    const step = await syncCertificates(api.store(), planner(clock, 60 * MINUTE, 3 * MINUTE, ['127.0.0.1', 'hook.example.com']));
    assert.deepEqual(step.actions, [{ kind: 'serving-renewed', reason: 'the names changed' }]);
    assert.ok(new X509Certificate(step.state.cert).subjectAltName?.includes('DNS:hook.example.com'));
  });

  it('rotates serving certificate and CA through every state with every served certificate trusted at every moment (two replicas, one syncing half as often)', async () => {
    const api = new FakeApi();
    const clock = { now: new Date() };
    const stepMs = MINUTE;
    const p = planner(clock, 60 * MINUTE, 3 * stepMs);
    // What each replica serves: the serving certificate of its last sync.
    const served: Record<'a' | 'b', string | undefined> = { a: undefined, b: undefined };
    const actions: CertificateAction['kind'][] = [];
    const cas = new Set<string>();
    const bundleSizes = new Set<number>();
    for (let minute = 0; minute <= 200; minute += 1) {
      clock.now = new Date(clock.now.getTime() + stepMs);
      for (const replica of ['a', 'b'] as const) {
        if (replica === 'b' && minute % 2 === 1) continue; // b syncs every other minute
        const result = await syncCertificates(api.store(), p);
        served[replica] = result.state.cert;
        actions.push(...result.actions.map((a) => a.kind).filter((k) => k !== 'none' && k !== 'waiting'));
        cas.add(fingerprint(result.state.caCert));
        bundleSizes.add(pemCertificates(result.state.bundle).length);
        // The invariant, after every write: whatever any replica serves, every webhook trusts it (no x509 failure).
        for (const r of ['a', 'b'] as const)
          if (served[r])
            assert.ok(api.trusts(served[r]), `minute ${minute}, after ${replica} synced: replica ${r} serves a certificate the bundle does not trust`);
      }
    }
    // 200 minutes with a 120-minute CA: at least one CA rotation, each in order, and serving renewals.
    const caAdded = actions.indexOf('ca-added');
    assert.ok(caAdded > 0, actions.join(', '));
    const switched = actions.indexOf('serving-renewed', caAdded);
    const dropped = actions.indexOf('ca-dropped', caAdded);
    assert.ok(caAdded < switched && switched < dropped, `CA added, serving switched, old CA dropped: ${actions.join(', ')}`);
    assert.ok(actions.filter((a) => a === 'serving-renewed').length >= 3, actions.join(', '));
    assert.ok(cas.size >= 2);
    assert.deepEqual([...bundleSizes].sort(), [1, 2], 'the bundle held old and new CA for a while, then one');
    assert.equal(pemCertificates(api.secret?.state?.bundle ?? '').length <= 2, true);
  });

  it('the old CA leaves the bundle only `grace` after the serving certificate switched (replicas that have not re-read the Secret still serve the old one)', async () => {
    const api = new FakeApi();
    const clock = { now: new Date() };
    const graceMs = 3 * MINUTE;
    const p = planner(clock, 60 * MINUTE, graceMs);
    await syncCertificates(api.store(), p);
    clock.now = new Date(clock.now.getTime() + 85 * MINUTE);
    const added = await syncCertificates(api.store(), p);
    const oldServing = added.state.cert;
    const switched = await syncCertificates(api.store(), p);
    assert.deepEqual(switched.actions, [{ kind: 'serving-renewed', reason: 'the CA was renewed' }]);
    const rows: { afterMs: number; action: CertificateAction['kind'] }[] = [
      { afterMs: 0, action: 'waiting' },
      { afterMs: graceMs - 1000, action: 'waiting' },
      { afterMs: graceMs, action: 'ca-dropped' },
    ];
    for (const row of rows) {
      clock.now = new Date(switched.state.servedSince.getTime() + row.afterMs);
      const step = await syncCertificates(api.store(), p);
      assert.deepEqual(
        step.actions.map((a) => a.kind),
        [row.action],
        `${row.afterMs} ms after the switch`,
      );
      assert.equal(api.trusts(oldServing), row.action === 'waiting', 'the old serving certificate is trusted exactly until the drop');
      assert.ok(api.trusts(switched.state.cert));
    }
  });

  it('the serving certificate switches to the new CA only once every webhook trusts it', async () => {
    const api = new FakeApi();
    const clock = { now: new Date() };
    const p = planner(clock);
    const first = await syncCertificates(api.store(), p);
    clock.now = new Date(clock.now.getTime() + 85 * MINUTE); // the CA (120 min + 6) has less than a third left
    const added = await syncCertificates(api.store(), p);
    assert.deepEqual(added.actions, [{ kind: 'ca-added' }]);
    assert.equal(added.state.cert, first.state.cert, 'the serving certificate is not switched in the same step');
    // An apply resets one webhook's bundle to the old CA alone before anyone switches.
    const [firstHook] = api.bundles.keys();
    api.bundles.set(firstHook as string, first.state.caCert);
    const step = await planner(clock).next(api.secret?.state as CertificateState, new Map(api.bundles));
    assert.equal(step.action.kind, 'waiting');
    assert.equal(step.state, undefined);
  });
});

describe('certs/manager: serving what the Secret holds, ready once it is trusted', function () {
  this.timeout(30_000);
  it('is not ready until every webhook trusts the served certificate, and hands a new certificate to the server', async () => {
    const api = new FakeApi();
    const clock = { now: new Date() };
    const metrics = createMetrics({ defaultMetrics: false });
    const store = api.store();
    let failBundles = true;
    const manager = new CertificateManager({
      store: {
        ...store,
        writeBundles: async (b) => {
          if (failBundles) throw new Error('forbidden');
          return store.writeBundles(b);
        },
      },
      planner: planner(clock),
      logger: createLogger({ level: 'silent' }),
      metrics,
      intervalMs: 60_000,
      describe: 'the fake',
    });
    await manager.start();
    try {
      assert.match(manager.notReadyBecause().join(), /does not trust the served certificate yet/);
      assert.match(await metrics.registry.getSingleMetricAsString('stagewall_ca_bundle_writes_total'), /result="failure"} 1/);
      failBundles = false;
      await manager.syncOnce();
      assert.deepEqual(manager.notReadyBecause(), []);
      const changed: string[] = [];
      manager.onChange((next) => changed.push(next.cert));
      clock.now = new Date(clock.now.getTime() + 45 * MINUTE);
      await manager.syncOnce();
      assert.equal(changed.length, 1);
      assert.equal(changed[0], manager.current().cert);
      assert.match(await metrics.registry.getSingleMetricAsString('stagewall_certificate_rotations_total'), /certificate="serving"} 1/);
      assert.match(await metrics.registry.getSingleMetricAsString('stagewall_ca_expiry_timestamp_seconds'), /stagewall_ca_expiry_timestamp_seconds \d+/);
    } finally {
      manager.stop();
    }
  });
});
