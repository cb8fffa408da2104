import { strict as assert } from 'node:assert';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiStatusError, getJson, listAll, NETWORK_POLICIES } from '../../src/cluster/api.js';
import type { KubeObject } from '../../src/engine/types.js';
import { startStandInApi, type StandInApi } from '../helpers/api-server.js';

const page = (i: number): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: `p${i}`, namespace: 'etl' },
  spec: { podSelector: {} },
});

const POLICY: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'from-extract', namespace: 'etl-transform', creationTimestamp: '2026-11-25T10:00:00Z' },
  spec: {
    podSelector: { matchLabels: { 'stagewall.dev/stage': 'transform' } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [{ podSelector: { matchLabels: { 'stagewall.dev/stage': 'extract' } } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
        ports: [{ port: 'http', protocol: 'TCP' }],
      },
    ],
  },
};

describe('cluster/api: reading from the API server as wire JSON', () => {
  let api: StandInApi;
  let kc: KubeConfig;
  before(async () => {
    api = await startStandInApi([POLICY]);
    kc = new KubeConfig();
    kc.loadFromFile(api.kubeconfig());
  });
  after(() => api.close());

  it("keeps objects exactly as the API server wrote them (client-node's models rename `from` to `_from`)", async () => {
    const { items, resourceVersion } = await listAll(kc, NETWORK_POLICIES.path, NETWORK_POLICIES);
    assert.deepEqual(items, [POLICY]);
    assert.equal(resourceVersion, '42');
    assert.equal(typeof items[0]?.metadata?.['creationTimestamp'], 'string', 'dates stay strings');
  });

  it('an error status rejects with the status code and the Status message', async () => {
    api.fail = { code: 403, message: 'forbidden: no list for you' };
    try {
      await assert.rejects(
        getJson(kc, '/api/v1/namespaces'),
        (err: unknown) => err instanceof ApiStatusError && err.statusCode === 403 && err.message === 'forbidden: no list for you',
      );
    } finally {
      api.fail = undefined;
    }
    await assert.rejects(getJson(kc, '/api/v1/nothing-here'), (err: unknown) => err instanceof ApiStatusError && err.statusCode === 404);
  });

  it('a continue token that expires mid-list (410) starts the list over: one snapshot, no page twice', async () => {
    const big = await startStandInApi([1, 2, 3, 4, 5].map(page));
    try {
      const bigKc = new KubeConfig();
      bigKc.loadFromFile(big.kubeconfig());
      big.expireNextContinue = true;
      const { items } = await listAll(bigKc, NETWORK_POLICIES.path, NETWORK_POLICIES, 2);
      assert.deepEqual(
        items.map((i) => i.metadata?.name),
        ['p1', 'p2', 'p3', 'p4', 'p5'],
      );
      const calls = big.requests.map((r) => new URL(r, 'http://x').searchParams.get('continue'));
      assert.deepEqual(calls, [null, '2', null, '2', '4'], 'after the 410 the list started again without a token');
    } finally {
      await big.close();
    }
  });

  it('the deadline covers credentials too: an exec plugin waiting for a login does not hang the caller', async () => {
    // The plugin says nothing for 4 s (then exits, so the test run is not held open).
    const hanging = new KubeConfig();
    hanging.loadFromOptions({
      clusters: [{ name: 'c', server: api.url, skipTLSVerify: true }],
      users: [
        {
          name: 'u',
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: process.execPath,
            args: ['-e', 'setTimeout(() => {}, 4000)'],
            interactiveMode: 'Never',
          },
        },
      ],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const started = Date.now();
    await assert.rejects(getJson(hanging, '/api/v1/namespaces', {}, 1500), /within 1500 ms/);
    assert.ok(Date.now() - started < 5000);
  });

  it('one deadline covers the whole answer: a server that trickles bytes forever is given up on', async () => {
    api.trickle = true;
    try {
      const started = Date.now();
      await assert.rejects(getJson(kc, '/api/v1/namespaces', {}, 1500), /no answer from http:\/\/127\.0\.0\.1:\d+ within 1500 ms/);
      assert.ok(Date.now() - started < 5000);
    } finally {
      api.trickle = false;
    }
  });
});
