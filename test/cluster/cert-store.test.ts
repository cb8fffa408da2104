import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { CertificatePlanner, SERVED_SINCE, WriteConflict, syncCertificates, type CertificateState } from '../../src/certs/managed.js';
import { KubeCertificateStore, STARTING_GUARD } from '../../src/cluster/cert-store.js';

const NAMESPACE = 'stagewall-system';
const SECRETS = `/api/v1/namespaces/${NAMESPACE}/secrets`;
const SECRET = `${SECRETS}/stagewall-tls`;
const VALIDATING = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/stagewall';
const MUTATING = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/stagewall';

type Json = Record<string, unknown>;
interface Patch {
  op: 'test' | 'add' | 'remove';
  path: string;
  value?: unknown;
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });

/**
 * The part of a kube-apiserver the certificate store talks to, with its write semantics: a create
 * of an existing Secret is 409 AlreadyExists, an update at another resourceVersion is 409
 * Conflict, every write bumps the resourceVersion, and a JSON Patch whose test fails is refused.
 */
class FakeApiServer {
  readonly objects = new Map<string, Json>();
  readonly calls: string[] = [];
  /** Runs once, just before the next create is handled: another replica's write landing first. */
  beforeCreate: (() => void) | undefined;
  private rv = 100;
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.body(req).then((text) => {
        const [code, answer] = this.handle(req.method ?? 'GET', req.url ?? '/', text);
        res.statusCode = code;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server.closeAllConnections();
      this.server.close(() => r());
    });
  }

  kubeConfig(): KubeConfig {
    const file = join(tmpdir(), `stagewall-cert-store-${process.pid}-${(this.server.address() as AddressInfo).port}.kubeconfig`);
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'stagewall', user: { token: 't' } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'stagewall' } }],
        'current-context': 'fake',
      }),
    );
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    return kc;
  }

  /** Stores an object as the API server would after a write: with the next resourceVersion. */
  put(path: string, object: Json): Json {
    const metadata = { ...(object['metadata'] as Json), resourceVersion: String((this.rv += 1)) };
    const stored = { ...object, metadata };
    this.objects.set(path, stored);
    return stored;
  }

  private body(req: IncomingMessage): Promise<string> {
    return new Promise((r) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => r(text));
    });
  }

  private handle(method: string, url: string, text: string): [number, unknown] {
    const path = new URL(url, 'http://x').pathname;
    this.calls.push(`${method} ${path}`);
    const current = this.objects.get(path);
    if (method === 'GET') return current ? [200, current] : [404, status(404, 'NotFound', `${path} not found`)];
    const body = JSON.parse(text) as Json;
    if (method === 'POST' && path === SECRETS) {
      const hook = this.beforeCreate;
      this.beforeCreate = undefined;
      hook?.();
      const name = String((body['metadata'] as Json)['name']);
      if (this.objects.has(`${SECRETS}/${name}`)) return [409, status(409, 'AlreadyExists', `secrets "${name}" already exists`)];
      return [201, this.put(`${SECRETS}/${name}`, body)];
    }
    if (method === 'PUT') {
      if (!current) return [404, status(404, 'NotFound', `${path} not found`)];
      const sent = (body['metadata'] as Json)['resourceVersion'];
      if (sent !== (current['metadata'] as Json)['resourceVersion']) {
        return [
          409,
          status(
            409,
            'Conflict',
            'Operation cannot be fulfilled on secrets "stagewall-tls": the object has been modified; please apply your changes to the latest version and try again',
          ),
        ];
      }
      return [200, this.put(path, body)];
    }
    if (method === 'PATCH') {
      if (!current) return [404, status(404, 'NotFound', `${path} not found`)];
      const patched = structuredClone(current);
      for (const p of body as unknown as Patch[]) {
        const keys = p.path.split('/').slice(1);
        const last = keys.pop() as string;
        const parent = keys.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], patched) as Record<string, unknown> | unknown[];
        if (p.op === 'test' && JSON.stringify((parent as Record<string, unknown>)[last]) !== JSON.stringify(p.value))
          return [422, status(422, 'Invalid', `test failed at ${p.path}`)];
        if (p.op === 'add') (parent as Record<string, unknown>)[last] = p.value;
        if (p.op === 'remove') {
          if (Array.isArray(parent)) parent.splice(Number(last), 1);
          else delete parent[last];
        }
      }
      return [200, this.put(path, patched)];
    }
    return [405, status(405, 'MethodNotAllowed', method)];
  }
}

const guard = { name: STARTING_GUARD, expression: "int('stagewall is starting' + request.operation) == 0" };
const webhook = (name: string, conditions: Json[] = [guard]) => ({
  name,
  clientConfig: { service: { name: 'stagewall', namespace: NAMESPACE, path: '/validate' } },
  matchConditions: conditions,
});

describe('cluster/cert-store: KubeCertificateStore against an API server with resourceVersion semantics', function () {
  this.timeout(30_000);
  let api: FakeApiServer;
  let kc: KubeConfig;
  let planner: CertificatePlanner;
  let first: CertificateState;
  let second: CertificateState;
  const store = () => new KubeCertificateStore(kc, { namespace: NAMESPACE, secret: 'stagewall-tls', webhookConfig: 'stagewall' });

  before(async () => {
    planner = new CertificatePlanner({
      service: 'stagewall',
      namespace: NAMESPACE,
      dns: [],
      validityMs: 365 * 24 * 3_600_000,
      graceMs: 15_000,
      now: () => new Date(),
    });
    [first, second] = await Promise.all([planner.fresh(), planner.fresh()]);
  });

  beforeEach(async () => {
    api = await new FakeApiServer().start();
    kc = api.kubeConfig();
  });
  afterEach(() => api.close());

  it('a missing Secret reads as no state and no resourceVersion (a 404 is not an error)', async () => {
    const stored = await store().read();
    assert.deepEqual(stored, { state: undefined, resourceVersion: undefined });
    assert.deepEqual(api.calls, [`GET ${SECRET}`]);
  });

  it('create: a POST of a kubernetes.io/tls Secret with the five keys and the serving-since annotation, read back as the same state', async () => {
    await store().write(first, undefined);
    assert.deepEqual(api.calls, [`POST ${SECRETS}`]);
    const secret = api.objects.get(SECRET) as {
      type: string;
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      data: Record<string, string>;
    };
    assert.equal(secret.type, 'kubernetes.io/tls');
    assert.deepEqual(Object.keys(secret.data).sort(), ['ca-bundle.crt', 'ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    assert.equal(Buffer.from(secret.data['tls.crt'] ?? '', 'base64').toString('utf8'), first.cert);
    assert.equal(secret.metadata.annotations[SERVED_SINCE], first.servedSince.toISOString());
    assert.equal(secret.metadata.labels['app.kubernetes.io/managed-by'], 'stagewall');
    const stored = await store().read();
    assert.deepEqual(stored.state, first);
    assert.equal(stored.resourceVersion, '101');
  });

  it('conflict on create: the POST gets 409 AlreadyExists, which is a WriteConflict, and the next read yields the winner', async () => {
    api.put(SECRET, { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'stagewall-tls', namespace: NAMESPACE } });
    await store().write(first, '101'); // the winner's state, written over the placeholder
    await assert.rejects(store().write(second, undefined), (err: unknown) => err instanceof WriteConflict && /already exists/.test(err.message));
    assert.deepEqual((await store().read()).state, first, 'the Secret holds the winner, not the loser');
  });

  it("two replicas racing from no Secret: the loser of the create adopts the winner's CA (syncCertificates over the real store)", async () => {
    api.put(VALIDATING, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'stagewall' },
      webhooks: [webhook('pods.validate.stagewall.dev')],
    });
    // Between the loser's read (no Secret) and its create, the winner's create lands.
    api.beforeCreate = () => {
      const data = Object.fromEntries(
        Object.entries({ 'ca.crt': first.caCert, 'ca.key': first.caKey, 'ca-bundle.crt': first.bundle, 'tls.crt': first.cert, 'tls.key': first.key }).map(
          ([k, v]) => [k, Buffer.from(v).toString('base64')],
        ),
      );
      api.put(SECRET, {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: { name: 'stagewall-tls', namespace: NAMESPACE, annotations: { [SERVED_SINCE]: first.servedSince.toISOString() } },
        data,
      });
    };
    const result = await syncCertificates(store(), planner);
    assert.equal(result.state.caCert, first.caCert, "adopted the winner's CA");
    assert.ok(!result.actions.some((a) => a.kind === 'created'), 'the loser created nothing');
    assert.deepEqual(
      api.calls.filter((c) => c.startsWith('POST') || c.startsWith('PUT')),
      [`POST ${SECRETS}`],
      'one create, refused; no overwrite',
    );
    const hooks = (api.objects.get(VALIDATING) as { webhooks: { clientConfig: { caBundle?: string }; matchConditions: Json[] }[] }).webhooks;
    assert.equal(Buffer.from(hooks[0]?.clientConfig.caBundle ?? '', 'base64').toString('utf8'), first.bundle, "the winner's bundle went into the webhook");
    assert.deepEqual(hooks[0]?.matchConditions, [], 'with the starting guard removed in the same patch');
  });

  it('update with a stale resourceVersion: the PUT gets 409 Conflict, which is a WriteConflict, and the newer Secret stays', async () => {
    await store().write(first, undefined);
    const read = await store().read();
    await store().write({ ...first, servedSince: new Date(first.servedSince.getTime() + 1000) }, read.resourceVersion); // another replica's update
    await assert.rejects(store().write(second, read.resourceVersion), (err: unknown) => err instanceof WriteConflict && /has been modified/.test(err.message));
    const now = await store().read();
    assert.equal(now.state?.caCert, first.caCert);
    assert.equal(now.resourceVersion, '102');
    assert.deepEqual(
      api.calls.filter((c) => c.startsWith('PUT')),
      [`PUT ${SECRET}`, `PUT ${SECRET}`],
    );
  });

  it('a Secret missing keys reads as invalid, with its resourceVersion, so that it is updated in place (keeping its type)', async () => {
    api.put(SECRET, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'stagewall-tls', namespace: NAMESPACE },
      data: { 'tls.crt': Buffer.from('x').toString('base64') },
    });
    const stored = await store().read();
    assert.equal(stored.state, undefined);
    assert.match(stored.invalid ?? '', /missing .*ca\.crt/);
    assert.equal(stored.resourceVersion, '101');
    const s = store();
    await s.read();
    await s.write(first, '101');
    assert.equal((api.objects.get(SECRET) as { type: string }).type, 'Opaque', 'the type of an existing Secret is immutable: kept');
  });

  it('other errors are not conflicts: a 404 on update (the Secret was deleted) is thrown as it is', async () => {
    await assert.rejects(store().write(first, '7'), (err: unknown) => !(err instanceof WriteConflict) && err instanceof Error);
  });

  it('bundles: a guarded webhook reads as no bundle; writeBundles patches every webhook of both configurations and removes the guard', async () => {
    api.put(VALIDATING, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'stagewall' },
      webhooks: [webhook('pods.validate.stagewall.dev', [guard, { name: 'keep-me', expression: 'true' }]), webhook('namespaces.validate.stagewall.dev', [])],
    });
    api.put(MUTATING, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'stagewall' },
      webhooks: [webhook('pods.mutate.stagewall.dev')],
    });
    const s = store();
    assert.deepEqual([...(await s.readBundles()).values()], ['', '', '']);
    await s.writeBundles(first.bundle);
    const bundles = await s.readBundles();
    assert.deepEqual([...bundles.values()], [first.bundle, first.bundle, first.bundle]);
    const validating = api.objects.get(VALIDATING) as { webhooks: { matchConditions: { name: string }[] }[] };
    assert.deepEqual(
      validating.webhooks[0]?.matchConditions.map((c) => c.name),
      ['keep-me'],
      'only the guard went',
    );
    const patches = api.calls.filter((c) => c.startsWith('PATCH')).length;
    await s.writeBundles(first.bundle);
    assert.equal(api.calls.filter((c) => c.startsWith('PATCH')).length, patches, 'nothing to write: no patch');
  });
});
