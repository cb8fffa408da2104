// One body is bounded by MAX_BODY_BYTES; the bodies of all requests in flight together are bounded
// by a budget, so that many clients sending large bodies at once cannot exhaust the heap.
import { strict as assert } from 'node:assert';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { BodyBudget } from '../../src/server/body.js';
import { createWebhookApp, MAX_BODY_BYTES, MAX_BUFFERED_BODY_BYTES } from '../../src/server/app.js';
import { createLogger } from '../../src/server/log.js';
import { createMetrics } from '../../src/server/metrics.js';
import { loadConfigFile } from '../../src/config/load.js';
import { admissionReview, pod } from '../helpers/review.js';
import { examplesView } from '../helpers/view.js';

const config = loadConfigFile('examples/stagewall.yaml');

describe('server/body: BodyBudget', () => {
  const rows: { name: string; limit: number; takes: number[]; granted: boolean[] }[] = [
    { name: 'takes up to the limit exactly', limit: 10, takes: [4, 6], granted: [true, true] },
    { name: 'refuses what would go one byte over, and reserves nothing for it', limit: 10, takes: [4, 7, 6], granted: [true, false, true] },
    { name: 'a single take larger than the limit is refused', limit: 10, takes: [11, 10], granted: [false, true] },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const budget = new BodyBudget(row.limit);
      assert.deepEqual(
        row.takes.map((n) => budget.take(n)),
        row.granted,
      );
    });
  }

  it('gives back what was taken', () => {
    const budget = new BodyBudget(10);
    assert.ok(budget.take(10));
    budget.give(10);
    assert.equal(budget.inUse, 0);
    assert.ok(budget.take(10));
  });

  it('holds four of the largest bodies by default', () => {
    assert.equal(MAX_BUFFERED_BODY_BYTES, 4 * MAX_BODY_BYTES);
  });
});

describe('server/app: request bodies held at once are bounded', () => {
  const BUDGET = 64 * 1024;
  let server: Server;
  let port: number;
  const metrics = createMetrics({ defaultMetrics: false });

  before(async () => {
    const logger = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) });
    server = createServer(createWebhookApp({ context: () => ({ config, view: examplesView() }), metrics, logger, bufferedBodyBytes: BUDGET }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  /** Starts a POST that declares `length` bytes and sends `first` of them now; returns how to finish it. */
  function slowPost(length: number, first: Buffer) {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/validate',
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': length },
    });
    const answer = new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      });
      req.on('error', reject);
    });
    answer.catch(() => undefined);
    req.write(first);
    return { req, answer };
  }

  /** A valid review padded with spaces to `size` bytes. */
  function paddedReview(size: number): Buffer {
    const text = JSON.stringify(admissionReview(pod('etl-transform', 'debug')));
    return Buffer.from(text + ' '.repeat(size - Buffer.byteLength(text)));
  }

  const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('answers 503 SERVER_BUSY with Retry-After to a body that would go beyond the budget, and judges the others', async () => {
    const size = 40 * 1024; // two of them exceed the 64 KiB budget
    const bodyA = paddedReview(size);
    const bodyB = paddedReview(size);
    const a = slowPost(size, bodyA.subarray(0, size - 10));
    await delay(150); // a's bytes are held now
    const b = slowPost(size, bodyB.subarray(0, size - 10));
    const busy = await b.answer;
    assert.equal(busy.status, 503);
    assert.equal(JSON.parse(busy.body).error.code, 'SERVER_BUSY');
    assert.equal(busy.headers['retry-after'], '1');
    a.req.end(bodyA.subarray(size - 10));
    const judged = await a.answer;
    assert.equal(judged.status, 200);
    assert.equal(JSON.parse(judged.body).response.allowed, false, 'the unlabelled pod is judged and refused');
    const counted = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'stagewall_bad_requests_total');
    assert.ok(counted?.values.some((v) => v.labels['reason'] === 'busy' && v.value >= 1));
  });

  it('gives the bytes back when a request ends, is refused, or its client goes away mid-body', async () => {
    const size = 40 * 1024;
    // A client that sends most of a body and disconnects.
    const gone = slowPost(size, paddedReview(size).subarray(0, size - 10));
    await delay(150);
    gone.req.destroy();
    await delay(150);
    // Were its bytes still held, this one (together with them) would exceed the budget.
    const body = paddedReview(size);
    const next = slowPost(size, body.subarray(0, size - 10));
    next.req.end(body.subarray(size - 10));
    assert.equal((await next.answer).status, 200);
  });
});
