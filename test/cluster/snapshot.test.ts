import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfigChoice, readClusterSnapshot } from '../../src/cluster/snapshot.js';
import { isStagewallError } from '../../src/errors.js';
import { loadManifests } from '../../src/manifests/load.js';
import { startStandInApi, type StandInApi } from '../helpers/api-server.js';

const EXAMPLE = loadManifests(['examples/pipeline/manifests']).map((o) => o.object);
const NAMESPACES = EXAMPLE.filter((o) => o.kind === 'Namespace');
const POLICIES = EXAMPLE.filter((o) => o.kind === 'NetworkPolicy');

describe('cluster/snapshot: reading Namespaces and NetworkPolicies from a cluster', () => {
  let api: StandInApi;
  before(async () => {
    api = await startStandInApi(EXAMPLE);
  });
  afterEach(() => {
    api.fail = undefined;
    api.requests.length = 0;
  });
  after(() => api.close());

  it('reads every page of both lists and gives the items their apiVersion and kind back', async () => {
    const snapshot = await readClusterSnapshot(loadKubeConfigChoice({ kubeconfig: api.kubeconfig() }), 2);
    assert.equal(snapshot.server, api.url);
    assert.equal(snapshot.namespaces, NAMESPACES.length);
    assert.equal(snapshot.policies, POLICIES.length);
    assert.deepEqual(
      snapshot.objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`),
      [...NAMESPACES, ...POLICIES].map((o) => `${o.apiVersion} ${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`),
    );
    // Pages of 2, chained by the continue token the server handed out.
    const policyCalls = api.requests.filter((r) => r.startsWith('/apis/networking.k8s.io/v1/networkpolicies'));
    assert.equal(policyCalls.length, Math.ceil(POLICIES.length / 2));
    assert.match(policyCalls[1] ?? '', /[?&]continue=2(&|$)/);
    assert.ok(policyCalls.every((r) => /[?&]limit=2(&|$)/.test(r)));
  });

  it('keeps what the engine reads: labels, selectors, ports, ipBlocks', async () => {
    const snapshot = await readClusterSnapshot(loadKubeConfigChoice({ kubeconfig: api.kubeconfig() }));
    const name = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace}/${o.metadata?.name}`;
    for (const policy of POLICIES) {
      const read = snapshot.objects.find((o) => o.kind === 'NetworkPolicy' && name(o) === name(policy));
      assert.deepEqual(JSON.parse(JSON.stringify(read?.['spec'])), policy['spec'], name(policy));
    }
    for (const ns of NAMESPACES) {
      const read = snapshot.objects.find((o) => o.kind === 'Namespace' && o.metadata?.name === ns.metadata?.name);
      assert.deepEqual(read?.metadata?.labels, ns.metadata?.labels);
    }
  });

  it("a refusal names the cluster, the API server's message and the permissions needed", async () => {
    api.fail = { code: 403, message: 'namespaces is forbidden: User "ci" cannot list resource "namespaces"' };
    await assert.rejects(readClusterSnapshot(loadKubeConfigChoice({ kubeconfig: api.kubeconfig() })), (err: unknown) => {
      assert.ok(isStagewallError(err));
      assert.equal(err.code, 'CLUSTER');
      assert.ok(err.message.includes(api.url), err.message);
      assert.match(err.message, /HTTP 403: namespaces is forbidden: User "ci" cannot list/);
      assert.match(err.message, /needs get and list on namespaces and on networkpolicies/);
      return true;
    });
  });

  it('refused credentials (401) are named as such', async () => {
    api.fail = { code: 401, message: 'Unauthorized' };
    await assert.rejects(
      readClusterSnapshot(loadKubeConfigChoice({ kubeconfig: api.kubeconfig() })),
      /HTTP 401: Unauthorized \(the credentials of the kubeconfig were refused\)/,
    );
  });

  it('an unreachable cluster is a CLUSTER error naming the server', async () => {
    const gone = await startStandInApi([]);
    const kubeconfig = gone.kubeconfig();
    await gone.close();
    await assert.rejects(readClusterSnapshot(loadKubeConfigChoice({ kubeconfig })), (err: unknown) => {
      assert.ok(isStagewallError(err) && err.code === 'CLUSTER');
      assert.ok(err.message.includes(gone.url), err.message);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  });

  it('with no kubeconfig anywhere, says so (rather than trying http://localhost:8080)', () => {
    const saved = { KUBECONFIG: process.env['KUBECONFIG'], HOME: process.env['HOME'], KUBERNETES_SERVICE_HOST: process.env['KUBERNETES_SERVICE_HOST'] };
    delete process.env['KUBECONFIG'];
    delete process.env['KUBERNETES_SERVICE_HOST'];
    process.env['HOME'] = mkdtempSync(join(tmpdir(), 'stagewall-nohome-'));
    try {
      assert.throws(
        () => loadKubeConfigChoice({}),
        (err: unknown) => isStagewallError(err) && err.code === 'CLUSTER' && /no kubeconfig found/.test(err.message),
      );
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('chooses a context by name, and names the contexts there are when it has no such one', () => {
    const kubeconfig = api.kubeconfig();
    assert.equal(loadKubeConfigChoice({ kubeconfig, context: 'other' }).getCurrentContext(), 'other');
    assert.throws(() => loadKubeConfigChoice({ kubeconfig, context: 'prod' }), /has no context "prod" \(it has: standin, other\)/);
    assert.throws(() => loadKubeConfigChoice({ kubeconfig: '/nonexistent/kubeconfig' }), /cannot load the kubeconfig \/nonexistent\/kubeconfig/);
  });
});
