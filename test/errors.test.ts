// The error catalog (src/errors.ts) says where each code is met: the CLI's exit code, the webhook's
// HTTP status, or the status.code in a review. docs/errors.md is generated from it, so these rows
// hold the catalog to what the code really answers.
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import request from 'supertest';
import { EXIT } from '../src/cli/main.js';
import { loadConfigFile } from '../src/config/load.js';
import type { EngineContext } from '../src/engine/evaluate.js';
import { ErrorCodes, httpStatus, type ErrorCode, type HttpErrorCode } from '../src/errors.js';
import { createWebhookApp, MAX_BODY_BYTES, MAX_BUFFERED_BODY_BYTES } from '../src/server/app.js';
import { createLogger } from '../src/server/log.js';
import { createMetrics } from '../src/server/metrics.js';
import { createOpsApp } from '../src/server/ops.js';
import { run } from './cli/fake-io.js';
import { admissionReview, pod } from './helpers/review.js';
import { examplesView } from './helpers/view.js';

const config = loadConfigFile('examples/stagewall.yaml');
const MiB = 1024 * 1024;

type View = EngineContext['view'];

function webhook(options: { bufferedBodyBytes?: number; view?: View } = {}) {
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
  const view = options.view ?? examplesView();
  return createWebhookApp({
    context: () => ({ config, view }),
    metrics: createMetrics({ defaultMetrics: false }),
    logger: createLogger({ level: 'fatal', destination: quiet }),
    ...(options.bufferedBodyBytes === undefined ? {} : { bufferedBodyBytes: options.bufferedBodyBytes }),
  });
}

/** A view whose every namespace lookup throws: an exception inside the engine. */
function explodingView(): View {
  const good = examplesView();
  return Object.assign(Object.create(good) as View, {
    namespace: () => {
      throw new Error('boom');
    },
  });
}

const labelled = pod('etl-transform', 'transformer-0', { 'stagewall.dev/stage': 'transform' });

describe('errors: the catalog says what stagewall answers', () => {
  const httpRows: { code: HttpErrorCode; send: () => request.Test }[] = [
    { code: 'MALFORMED_JSON', send: () => request(webhook()).post('/validate').set('Content-Type', 'application/json').send('{"apiVersion": ') },
    { code: 'ADMISSION_BAD_REQUEST', send: () => request(webhook()).post('/validate').send({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }) },
    {
      code: 'BODY_TOO_LARGE',
      send: () =>
        request(webhook())
          .post('/mutate')
          .set('Content-Type', 'application/json')
          .send(`"${'x'.repeat(MAX_BODY_BYTES)}"`),
    },
    { code: 'METHOD_NOT_ALLOWED', send: () => request(webhook()).get('/validate') },
    { code: 'NOT_FOUND', send: () => request(webhook()).post('/nowhere').send({}) },
    {
      code: 'SERVER_BUSY',
      send: () =>
        request(webhook({ bufferedBodyBytes: 16 }))
          .post('/validate')
          .send(admissionReview(labelled)),
    },
    {
      code: 'INTERNAL',
      send: () =>
        request(webhook({ view: explodingView() }))
          .post('/validate')
          .send(admissionReview(labelled)),
    },
  ];
  for (const row of httpRows) {
    it(`${row.code}: HTTP ${httpStatus(row.code)} with {"error":{"code":"${row.code}"}}`, async () => {
      const res = await row.send();
      assert.equal(res.status, httpStatus(row.code));
      assert.equal(res.body.error.code, row.code);
      assert.ok(String(res.body.error.message).length > 0, 'a message');
    });
  }

  it('NOT_FOUND on the ops port too', async () => {
    const res = await request(createOpsApp(createMetrics({ defaultMetrics: false }), { notReadyBecause: () => [] })).get('/nowhere');
    assert.equal(res.status, httpStatus('NOT_FOUND'));
    assert.equal(res.body.error.code, 'NOT_FOUND');
  });

  it('every HTTP code of the catalog has a row above', () => {
    const http = Object.entries(ErrorCodes)
      .filter(([, entry]) => 'http' in entry)
      .map(([code]) => code);
    assert.deepEqual(http.sort(), httpRows.map((r) => r.code).sort());
  });

  const reviewRows: { code: ErrorCode; object: Record<string, unknown> }[] = [
    {
      code: 'SELECTOR_INVALID',
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'bad', namespace: 'etl-load' },
        spec: { podSelector: { matchExpressions: [{ key: 'a', operator: 'Sometimes' }] } },
      },
    },
    {
      code: 'CIDR_INVALID',
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'bad', namespace: 'etl-load' },
        spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] },
      },
    },
  ];
  for (const row of reviewRows) {
    it(`${row.code}: ${String((ErrorCodes[row.code] as { review?: number }).review)} in the review, named in its message`, async () => {
      const res = await request(webhook())
        .post('/validate')
        .send(admissionReview(row.object as never))
        .expect(200);
      assert.equal(res.body.response.allowed, false);
      assert.equal(res.body.response.status.code, (ErrorCodes[row.code] as { review?: number }).review);
      assert.match(res.body.response.status.message, new RegExp(`^\\[${row.code}\\] `));
    });
  }

  it("the limits the meanings quote are the server's", () => {
    assert.match(ErrorCodes.BODY_TOO_LARGE.meaning, new RegExp(`\\b${MAX_BODY_BYTES / MiB} MiB\\b`));
    assert.match(ErrorCodes.SERVER_BUSY.meaning, new RegExp(`\\b${MAX_BUFFERED_BODY_BYTES / MiB} MiB\\b`));
  });

  it("every exit code of the catalog is the CLI's bad-input exit", () => {
    for (const [code, entry] of Object.entries(ErrorCodes)) if ('exit' in entry) assert.equal(entry.exit, EXIT.badInput, code);
  });

  const cliRows: { code: ErrorCode; argv: string[]; stdin?: string }[] = [
    { code: 'CONFIG_READ', argv: ['check', '-c', 'no/such/stagewall.yaml', 'examples/pipeline/manifests'] },
    { code: 'MANIFEST_READ', argv: ['check', '-c', 'examples/stagewall.yaml', 'no/such/path'] },
    { code: 'MANIFEST_YAML', argv: ['check', '-c', 'examples/stagewall.yaml', '-'], stdin: 'kind: [' },
    { code: 'MANIFEST_EMPTY', argv: ['check', '-c', 'examples/stagewall.yaml', '-'], stdin: '---\n' },
  ];
  for (const row of cliRows) {
    it(`${row.code}: the CLI prints "error ${row.code}" and exits ${String((ErrorCodes[row.code] as { exit?: number }).exit)}`, async () => {
      const r = await run(row.argv, row.stdin === undefined ? {} : { stdin: row.stdin });
      assert.equal(r.code, (ErrorCodes[row.code] as { exit?: number }).exit);
      assert.match(r.err, new RegExp(`^stagewall: error ${row.code}: `, 'm'));
    });
  }
});
