import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterViewSource, MAX_PENDING_LOOKUPS, MAX_REMEMBERED_MISSES } from '../../src/cluster/source.js';
import { createMetrics } from '../../src/server/metrics.js';
import { silentLogger } from '../../src/server/log.js';
import { loadConfigFile } from '../../src/config/load.js';
import { startStandInApi } from '../helpers/api-server.js';

describe('cluster/source: namespace lookups on a cache miss', () => {
  let server: Server;
  const requests: string[] = [];
  let source: ClusterViewSource;

  before(async () => {
    // A stand-in API server that knows namespace "real" only.
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const name = /\/api\/v1\/namespaces\/([^/?]+)/.exec(req.url ?? '')?.[1];
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        if (name === 'real')
          res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'real', labels: { 'stagewall.dev/pipeline': 'etl' } } }));
        else {
          res.statusCode = 404;
          res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
        }
      }, 50);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    source = new ClusterViewSource({ logger: silentLogger(), metrics: createMetrics({ defaultMetrics: false }), kubeConfig: kc });
  });
  after(() => server.close());

  it('fetches a namespace the informer has not seen yet into the view', async () => {
    await source.ensureNamespace('real');
    assert.equal(source.view.namespace('real')?.labels['stagewall.dev/pipeline'], 'etl');
  });

  it('asks once for concurrent misses, and remembers a miss: made-up names cannot load the API server', async () => {
    requests.length = 0;
    await Promise.all(Array.from({ length: 20 }, () => source.ensureNamespace('ghost')));
    assert.equal(requests.length, 1);
    await source.ensureNamespace('ghost');
    assert.equal(requests.length, 1, 'the miss is remembered');
    assert.equal(source.view.namespace('ghost'), undefined);
  });
});

describe('cluster/source: the informer lists objects as the API server wrote them', () => {
  it("a listed policy keeps its ingress `from` (client-node's typed lists renamed it `_from`: open to every source)", async () => {
    const api = await startStandInApi([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'etl-transform', labels: { 'stagewall.dev/pipeline': 'etl' } } },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'from-extract', namespace: 'etl-transform' },
        spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { 'stagewall.dev/stage': 'extract' } } }] }] },
      },
    ]);
    const kc = new KubeConfig();
    kc.loadFromFile(api.kubeconfig());
    const source = new ClusterViewSource({
      logger: silentLogger(),
      metrics: createMetrics({ defaultMetrics: false }),
      kubeConfig: kc,
      reconcile: false,
      initialBackoffMs: 60_000,
    });
    try {
      await source.start(() => loadConfigFile('examples/stagewall.yaml'));
      await waitFor(() => source.synced());
      const [policy] = source.view.policiesIn('etl-transform');
      assert.equal(policy?.ingressRules[0]?.peers.length, 1, 'the rule has its one peer, not none');
      assert.equal(source.view.namespace('etl-transform')?.labels['stagewall.dev/pipeline'], 'etl');
    } finally {
      await source.stop();
      await api.close();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cluster/source: the namespace lookups are bounded in names, misses and lookups in flight', () => {
  let server: Server;
  const requests: string[] = [];
  /** Answers held back while set, to keep lookups in flight. */
  let held: (() => void)[] | undefined;

  function sourceFor(port: number): ClusterViewSource {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    return new ClusterViewSource({ logger: silentLogger(), metrics: createMetrics({ defaultMetrics: false }), kubeConfig: kc });
  }

  before(async () => {
    // Every namespace is missing: 404 at once, or when released.
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const answer = () => {
        res.statusCode = 404;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      };
      if (held) held.push(answer);
      else answer();
    });
    server.keepAliveTimeout = 100;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  });
  after(() => server.close());

  const notNames: { name: string; value: string }[] = [
    { name: 'upper case', value: 'Etl-Load' },
    { name: 'longer than 63 characters', value: 'a'.repeat(64) },
    { name: 'a megabyte', value: 'a'.repeat(1 << 20) },
    { name: 'a path', value: 'etl/../../apis' },
    { name: 'a leading dash', value: '-etl' },
    { name: 'empty', value: '' },
  ];
  for (const row of notNames) {
    it(`a name no namespace can have (${row.name}) is never looked up nor remembered`, async () => {
      const source = sourceFor((server.address() as AddressInfo).port);
      requests.length = 0;
      await source.ensureNamespace(row.value);
      assert.deepEqual(requests, []);
      assert.deepEqual(source.lookupState, { misses: 0, pending: 0 });
    });
  }

  it(`remembers at most MAX_REMEMBERED_MISSES (${MAX_REMEMBERED_MISSES}) misses, forgetting the oldest first`, async () => {
    const source = sourceFor((server.address() as AddressInfo).port);
    const names = Array.from({ length: MAX_REMEMBERED_MISSES + 100 }, (_, i) => `ghost-${i}`);
    for (let i = 0; i < names.length; i += MAX_PENDING_LOOKUPS)
      await Promise.all(names.slice(i, i + MAX_PENDING_LOOKUPS).map((n) => source.ensureNamespace(n)));
    assert.equal(source.lookupState.misses, MAX_REMEMBERED_MISSES);
    requests.length = 0;
    await source.ensureNamespace(names.at(-1) as string);
    assert.equal(requests.length, 0, 'the newest miss is remembered');
    await source.ensureNamespace(names[0] as string);
    assert.equal(requests.length, 1, 'the oldest was forgotten, so it is asked for again');
    assert.equal(source.lookupState.misses, MAX_REMEMBERED_MISSES);
  });

  it(`keeps at most MAX_PENDING_LOOKUPS (${MAX_PENDING_LOOKUPS}) lookups in flight; the rest are judged with the view as it is`, async () => {
    const source = sourceFor((server.address() as AddressInfo).port);
    held = [];
    requests.length = 0;
    const all = Promise.all(Array.from({ length: 200 }, (_, i) => source.ensureNamespace(`burst-${i}`)));
    assert.equal(source.lookupState.pending, MAX_PENDING_LOOKUPS);
    const until = Date.now() + 5000;
    while (requests.length < MAX_PENDING_LOOKUPS && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(requests.length, MAX_PENDING_LOOKUPS, 'only that many reach the API server');
    const release = held;
    held = undefined;
    for (const answer of release) answer();
    await all;
    assert.deepEqual(source.lookupState, { misses: MAX_PENDING_LOOKUPS, pending: 0 });
  });
});
