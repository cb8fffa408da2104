import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterViewSource } from '../../src/cluster/source.js';
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
        if (name === 'real') res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'real', labels: { 'stagewall.dev/pipeline': 'etl' } } }));
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
    const source = new ClusterViewSource({ logger: silentLogger(), metrics: createMetrics({ defaultMetrics: false }), kubeConfig: kc, reconcile: false, initialBackoffMs: 60_000 });
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
