import { strict as assert } from 'node:assert';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiStatusError, getJson, listAll, NETWORK_POLICIES } from '../../src/cluster/api.js';
import type { KubeObject } from '../../src/engine/types.js';
import { startStandInApi, type StandInApi } from '../helpers/api-server.js';

const POLICY: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'from-extract', namespace: 'etl-transform', creationTimestamp: '2026-11-25T10:00:00Z' },
  spec: {
    podSelector: { matchLabels: { 'stagewall.dev/stage': 'transform' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { 'stagewall.dev/stage': 'extract' } } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 'http', protocol: 'TCP' }] }],
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
      await assert.rejects(getJson(kc, '/api/v1/namespaces'), (err: unknown) => err instanceof ApiStatusError && err.statusCode === 403 && err.message === 'forbidden: no list for you');
    } finally {
      api.fail = undefined;
    }
    await assert.rejects(getJson(kc, '/api/v1/nothing-here'), (err: unknown) => err instanceof ApiStatusError && err.statusCode === 404);
  });
});
