import { strict as assert } from 'node:assert';
import { Agent } from 'node:https';
import type { RunningServer } from '../../src/server/serve.js';
import { postJson } from '../helpers/https.js';
import { admissionReview, pod } from '../helpers/review.js';
import { startTestServer } from '../helpers/server.js';

/** stagewall_webhook_connections_total as /metrics renders it. */
async function connectionsAccepted(server: RunningServer): Promise<number> {
  const text = await server.metrics.registry.metrics();
  const match = /^stagewall_webhook_connections_total (\S+)$/m.exec(text);
  assert.ok(match, 'stagewall_webhook_connections_total is exported');
  return Number(match[1]);
}

describe('server/serve: connections accepted', function () {
  this.timeout(30_000);
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('counts one TLS connection per keep-alive client however many admissions it sends, and one per request without keep-alive', async () => {
    const started = await startTestServer();
    server = started.server;
    const ca = started.ca;
    assert.equal(await connectionsAccepted(server), 0);

    // 3 keep-alive clients, 40 reviews each (validate and mutate alternately): the server keeps
    // every socket open between requests, so the count is the number of clients.
    const clients = 3;
    const perClient = 40;
    const agents = Array.from({ length: clients }, () => new Agent({ keepAlive: true, maxSockets: 1, ca }));
    const review = admissionReview(pod('etl-transform', 'debug'));
    await Promise.all(
      agents.map(async (agent) => {
        for (let i = 0; i < perClient; i += 1) {
          const r = await postJson(server!.port, i % 2 === 0 ? '/validate' : '/mutate', review, { agent, ca });
          assert.equal(r.status, 200);
        }
      }),
    );
    for (const agent of agents) agent.destroy();
    assert.equal(await connectionsAccepted(server), clients);

    // Without keep-alive every request pays its own handshake, and the counter sees each one.
    for (let i = 0; i < 5; i += 1) assert.equal((await postJson(server.port, '/validate', review, { ca })).status, 200);
    assert.equal(await connectionsAccepted(server), clients + 5);
  });
});
