// Objects beyond the engine's structural limits (src/engine/limits.ts), through the webhook as
// the API server (or anyone reaching port 8443) sends them: a 400 in the AdmissionReview that
// names the field, never a 500 or a stack overflow.
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import request from 'supertest';
import { loadConfigFile } from '../../src/config/load.js';
import type { EngineContext } from '../../src/engine/evaluate.js';
import { MAX_ITEMS } from '../../src/engine/limits.js';
import { createWebhookApp } from '../../src/server/app.js';
import { createLogger } from '../../src/server/log.js';
import { createMetrics } from '../../src/server/metrics.js';
import { smallPod, smallPolicy } from '../../bench/hostile-shapes.js';
import { admissionReview } from '../helpers/review.js';
import { examplesView } from '../helpers/view.js';

const PLACEHOLDER = 'stagewall-test-placeholder';

/**
 * The review as JSON text, with `placeholder` replaced by `text`: a value nested 10,000 deep is
 * beyond JSON.stringify (it recurses), so the body is written as a string, as a client would.
 */
function reviewText(object: Record<string, unknown>, text: string): string {
  return JSON.stringify(admissionReview(object)).replace(`"${PLACEHOLDER}"`, text);
}
const deepText = (depth: number) => `${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`;

function withPeerExtra(): Record<string, unknown> {
  const policy = smallPolicy();
  const peer = policy.spec!.ingress![0]!.from![0]!;
  (peer.podSelector as Record<string, unknown>)['extra'] = PLACEHOLDER;
  return policy as Record<string, unknown>;
}

describe('server/app: objects beyond the structural limits are 400s in the review', () => {
  const config = loadConfigFile('examples/stagewall.yaml');
  const ctx: EngineContext = { config, view: examplesView() };
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  const app = createWebhookApp({
    context: () => ctx,
    metrics: createMetrics({ defaultMetrics: false }),
    logger: createLogger({ level: 'error', destination: sink }),
  });

  const cases: { name: string; endpoint: '/validate' | '/mutate'; body: () => string; code: string; message: RegExp }[] = [
    {
      name: 'a peer podSelector with an extra field nested 10,000 levels deep (was a 500: stack overflow in a cache key)',
      endpoint: '/validate',
      body: () => reviewText(withPeerExtra(), deepText(10_000)),
      code: 'OBJECT_TOO_DEEP',
      message:
        /^\[OBJECT_TOO_DEEP\] object\.spec\.ingress\[0\]\.from\[0\]\.podSelector\.extra\.a\.a\.a\.… \(87 more\)\.a\.a\.a is nested more than 100 levels deep/,
    },
    {
      name: 'a Pod with a field nested 10,000 levels deep, on /mutate',
      endpoint: '/mutate',
      body: () => reviewText({ ...smallPod(), spec: { containers: [], extra: PLACEHOLDER } }, deepText(10_000)),
      code: 'OBJECT_TOO_DEEP',
      message: /^\[OBJECT_TOO_DEEP\] object\.spec\.extra\.a\.a\.a/,
    },
    {
      name: 'a NetworkPolicy with more ingress rules than a 3 MiB request can hold',
      endpoint: '/validate',
      body: () =>
        reviewText({ ...smallPolicy(), spec: { podSelector: {}, ingress: PLACEHOLDER } }, `[${new Array<string>(MAX_ITEMS + 1).fill('{}').join(',')}]`),
      code: 'OBJECT_TOO_LARGE',
      message: /^\[OBJECT_TOO_LARGE\] object\.spec\.ingress has 1,572,865 items, over the limit of 1,572,864/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const res = await request(app).post(c.endpoint).set('Content-Type', 'application/json').send(c.body()).expect(200);
      assert.equal(res.body.kind, 'AdmissionReview');
      assert.equal(res.body.response.allowed, false);
      assert.equal(res.body.response.status.code, 400);
      assert.match(res.body.response.status.message, c.message);
      assert.ok(res.body.response.status.message.includes(c.code));
    });
  }
});
