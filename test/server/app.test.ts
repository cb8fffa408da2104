import { strict as assert } from 'node:assert';
import request from 'supertest';
import { loadConfigFile } from '../../src/config/load.js';
import type { StagewallConfig } from '../../src/config/model.js';
import type { EngineContext } from '../../src/engine/evaluate.js';
import { API_SERVER_MAX_REQUEST_BYTES, createWebhookApp, MAX_BODY_BYTES } from '../../src/server/app.js';
import { createMetrics, type Metrics } from '../../src/server/metrics.js';
import { createLogger } from '../../src/server/log.js';
import { admissionReview, namespace, pod } from '../helpers/review.js';
import { examplesView } from '../helpers/view.js';
import { Writable } from 'node:stream';

const enforce = loadConfigFile('examples/stagewall.yaml');
const audit: StagewallConfig = { ...enforce, mode: 'audit', pipelines: new Map([...enforce.pipelines].map(([k, p]) => [k, { ...p, mode: 'audit' as const }])) };

function setup(config: StagewallConfig = enforce, overrides: Partial<EngineContext> = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const metrics: Metrics = createMetrics({ defaultMetrics: false });
  const ctx: EngineContext = { config, view: examplesView(), ...overrides };
  const app = createWebhookApp({ context: () => ctx, metrics, logger: createLogger({ level: 'debug', destination }) });
  return { app, metrics, lines };
}

async function counter(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values ?? []).find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

const unlabelled = pod('etl-transform', 'debug', { app: 'debug' });
const labelled = pod('etl-transform', 'transformer-0', { 'stagewall.dev/stage': 'transform' });

describe('server/app: POST /validate', () => {
  it('denies with status.code 403, echoes the uid and names the rule in the message', async () => {
    const { app } = setup();
    const review = admissionReview(unlabelled);
    const res = await request(app).post('/validate').send(review).expect(200);
    assert.equal(res.body.apiVersion, 'admission.k8s.io/v1');
    assert.equal(res.body.kind, 'AdmissionReview');
    assert.equal(res.body.response.uid, (review['request'] as { uid: string }).uid);
    assert.equal(res.body.response.allowed, false);
    assert.equal(res.body.response.status.code, 403);
    assert.match(res.body.response.status.message, /^\[stage-label-missing\] Pod etl-transform\/debug /);
  });

  it('allows a labelled pod with no warnings', async () => {
    const { app } = setup();
    const res = await request(app).post('/validate').send(admissionReview(labelled)).expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.equal(res.body.response.warnings, undefined);
  });

  it('answers a v1beta1 review in kind', async () => {
    const { app } = setup();
    const res = await request(app)
      .post('/validate')
      .send(admissionReview(unlabelled, { apiVersion: 'admission.k8s.io/v1beta1' }))
      .expect(200);
    assert.equal(res.body.apiVersion, 'admission.k8s.io/v1beta1');
    assert.equal(res.body.response.allowed, false);
  });

  it('in audit mode admits, warns, adds auditAnnotations and logs an audit event naming rule, object, user and uid', async () => {
    const { app, lines } = setup(audit);
    const review = admissionReview(unlabelled, { username: 'bob' });
    const res = await request(app).post('/validate').send(review).expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.equal(res.body.response.status, undefined);
    assert.equal(res.body.response.warnings.length, 1);
    assert.match(res.body.response.warnings[0], /^\[stage-label-missing\] Pod etl-transform\/debug/);
    const annotated = JSON.parse(res.body.response.auditAnnotations.violations) as { rule: string }[];
    assert.deepEqual(
      annotated.map((v) => v.rule),
      ['stage-label-missing'],
    );
    const event = lines.find((l) => l['event'] === 'audit');
    assert.ok(event, 'an audit event is logged');
    assert.equal(event['rule'], 'stage-label-missing');
    assert.equal(event['user'], 'bob');
    assert.equal(event['uid'], (review['request'] as { uid: string }).uid);
    assert.equal(event['mode'], 'audit');
    assert.deepEqual(event['object'], { kind: 'Pod', name: 'debug', namespace: 'etl-transform' });
  });

  it('warnings carry no control characters (the API server drops such warnings)', async () => {
    // A pipeline namespace without any policy: the uncovered messages carry a multi-line snippet.
    const view = examplesView();
    view.upsertNamespace(namespace('etl-new', { 'stagewall.dev/pipeline': 'etl' }));
    const { app } = setup(audit, { view });
    const res = await request(app)
      .post('/validate')
      .send(admissionReview(pod('etl-new', 'p', { 'stagewall.dev/stage': 'load' })))
      .expect(200);
    const warnings = res.body.response.warnings as string[];
    assert.deepEqual(
      warnings.map((w) => /^\[([a-z-]+)\]/.exec(w)?.[1]),
      ['ingress-uncovered', 'egress-uncovered'],
    );
    // eslint-disable-next-line no-control-regex -- C0 control characters are what must not appear
    for (const w of warnings) assert.doesNotMatch(w, /[\u0000-\u001f]/);
  });

  it('refuses DELETE of a managed policy by a user, judging oldObject', async () => {
    const { app } = setup();
    const managed = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'stagewall-default-deny', namespace: 'etl-load', labels: { 'app.kubernetes.io/managed-by': 'stagewall' } },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    };
    const res = await request(app)
      .post('/validate')
      .send(admissionReview(null, { operation: 'DELETE', oldObject: managed, username: 'mallory' }))
      .expect(200);
    assert.equal(res.body.response.allowed, false);
    assert.match(res.body.response.status.message, /\[managed-policy-protected\].*mallory may not delete it/);
    const ok = await request(app)
      .post('/validate')
      .send(admissionReview(null, { operation: 'DELETE', oldObject: managed, username: 'system:serviceaccount:stagewall-system:stagewall' }))
      .expect(200);
    assert.equal(ok.body.response.allowed, true);
  });

  it('admits kinds that are not stagewall’s and counts them as ignored', async () => {
    const { app, metrics } = setup();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'etl-load' } };
    const res = await request(app).post('/validate').send(admissionReview(cm)).expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.equal(await counter(metrics, 'stagewall_admission_requests_total', { kind: 'other', decision: 'ignored' }), 1);
  });

  it('counts kinds it does not know as "other", so callers cannot grow the metric without bound', async () => {
    const { app, metrics } = setup();
    for (const kind of ['Foo1', 'Foo2', 'Foo3']) {
      await request(app)
        .post('/validate')
        .send(admissionReview({ apiVersion: 'x/v1', kind, metadata: { name: 'a', namespace: 'etl-load' } }))
        .expect(200);
    }
    const series = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'stagewall_admission_requests_total')?.values ?? [];
    assert.deepEqual([...new Set(series.map((v) => v.labels['kind']))], ['other']);
    assert.equal(await counter(metrics, 'stagewall_admission_requests_total', { kind: 'other' }), 3);
  });

  it('never judges kube-system or its own namespace, even when labelled as a pipeline', async () => {
    const view = examplesView();
    for (const ns of ['kube-system', 'stagewall-system', 'etl-unprotected']) view.upsertNamespace(namespace(ns, { 'stagewall.dev/pipeline': 'etl' }));
    const config = { ...enforce, exemptNamespaces: new Set<string>() }; // not even listed as exempt
    const { app } = setup(config, { view, ownNamespace: 'stagewall-system' });
    for (const ns of ['kube-system', 'stagewall-system']) {
      const res = await request(app)
        .post('/validate')
        .send(admissionReview(pod(ns, 'p')))
        .expect(200);
      assert.equal(res.body.response.allowed, true, ns);
    }
    // The same pod in an ordinary pipeline namespace is refused: the exemption is what admitted it.
    const res = await request(app)
      .post('/validate')
      .send(admissionReview(pod('etl-unprotected', 'p')))
      .expect(200);
    assert.equal(res.body.response.allowed, false);
  });

  it('counts requests by kind, operation, decision and mode, and violations by rule', async () => {
    const { app, metrics } = setup();
    await request(app).post('/validate').send(admissionReview(unlabelled)).expect(200);
    assert.equal(
      await counter(metrics, 'stagewall_admission_requests_total', {
        endpoint: 'validate',
        kind: 'Pod',
        operation: 'CREATE',
        decision: 'deny',
        mode: 'enforce',
      }),
      1,
    );
    assert.equal(await counter(metrics, 'stagewall_violations_total', { rule: 'stage-label-missing' }), 1);
  });
});

describe('server/app: POST /mutate', () => {
  it('patches a pipeline pod with the pipeline label, escaping / as ~1 (RFC 6901)', async () => {
    const { app } = setup();
    const res = await request(app).post('/mutate').send(admissionReview(labelled)).expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.equal(res.body.response.patchType, 'JSONPatch');
    const patch = JSON.parse(Buffer.from(res.body.response.patch, 'base64').toString('utf8'));
    assert.deepEqual(patch, [{ op: 'add', path: '/metadata/labels/stagewall.dev~1pipeline', value: 'etl' }]);
  });

  it('gives a new pipeline namespace the default-deny annotation', async () => {
    const { app } = setup();
    const res = await request(app)
      .post('/mutate')
      .send(admissionReview(namespace('etl-new', { 'stagewall.dev/pipeline': 'etl' })))
      .expect(200);
    const patch = JSON.parse(Buffer.from(res.body.response.patch, 'base64').toString('utf8'));
    assert.deepEqual(patch, [{ op: 'add', path: '/metadata/annotations/stagewall.dev~1default-deny', value: 'stagewall-default-deny,stagewall-allow-dns' }]);
  });

  it('sends no patch when nothing changes', async () => {
    const { app } = setup();
    const res = await request(app)
      .post('/mutate')
      .send(admissionReview(pod('warehouse', 'db')))
      .expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.equal(res.body.response.patch, undefined);
  });
});

describe('server/app: bad input', () => {
  const cases: { name: string; send: (r: request.Test) => request.Test; status: number; code: RegExp }[] = [
    {
      name: 'malformed JSON gets 400 with a JSON error',
      send: (r) => r.set('Content-Type', 'application/json').send('{"apiVersion": '),
      status: 400,
      code: /MALFORMED_JSON/,
    },
    {
      name: 'a review without a request gets 400',
      send: (r) => r.send({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
      status: 400,
      code: /ADMISSION_BAD_REQUEST/,
    },
    {
      name: 'a review without a uid gets 400',
      send: (r) => r.send({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE', object: {} } }),
      status: 400,
      code: /ADMISSION_BAD_REQUEST/,
    },
    {
      name: 'a wrong apiVersion gets 400',
      send: (r) => r.send({ ...admissionReview(unlabelled), apiVersion: 'admission.k8s.io/v2' }),
      status: 400,
      code: /ADMISSION_BAD_REQUEST/,
    },
    { name: 'a JSON array gets 400', send: (r) => r.send([1, 2]), status: 400, code: /ADMISSION_BAD_REQUEST/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { app } = setup();
      const res = await c.send(request(app).post('/validate')).expect(c.status);
      assert.match(res.headers['content-type'] ?? '', /application\/json/);
      assert.match(res.body.error.code, c.code);
      assert.ok(res.body.error.message.length > 0);
    });
  }

  it('accepts a body just under 8 MiB', async () => {
    const { app } = setup();
    const big = admissionReview(structuredClone(labelled));
    const padding = MAX_BODY_BYTES - JSON.stringify(big).length - 200;
    (big['request'] as { object: { metadata: { annotations: Record<string, string> } } }).object.metadata.annotations = { pad: 'x'.repeat(padding) };
    const res = await request(app).post('/validate').send(big).expect(200);
    assert.equal(res.body.response.allowed, true);
  });

  it('accepts an UPDATE whose object and oldObject are each as large as the API server admits (3 MiB)', async () => {
    assert.ok(MAX_BODY_BYTES >= 2 * API_SERVER_MAX_REQUEST_BYTES + 64 * 1024, 'room for both objects and the envelope');
    const { app } = setup();
    const large = (stage: string) => {
      const object = structuredClone(labelled);
      const padding = API_SERVER_MAX_REQUEST_BYTES - JSON.stringify(object).length - 32;
      (object as { metadata: { labels: Record<string, string>; annotations: Record<string, string> } }).metadata.labels['stagewall.dev/stage'] = stage;
      (object as { metadata: { annotations: Record<string, string> } }).metadata.annotations = { pad: 'x'.repeat(padding) };
      return object;
    };
    const review = admissionReview(large('transform'), { operation: 'UPDATE', oldObject: large('transform') });
    assert.ok(JSON.stringify(review).length > 2 * API_SERVER_MAX_REQUEST_BYTES - 1024);
    const res = await request(app).post('/validate').send(review).expect(200);
    assert.equal(res.body.response.uid, (review['request'] as { uid: string }).uid);
    assert.equal(res.body.response.allowed, true, 'judged, not refused');
  });

  it('refuses a body over 8 MiB with 413', async () => {
    const { app } = setup();
    const big = admissionReview(structuredClone(labelled));
    (big['request'] as { object: { metadata: { annotations: Record<string, string> } } }).object.metadata.annotations = { pad: 'x'.repeat(MAX_BODY_BYTES) };
    const res = await request(app).post('/validate').send(big).expect(413);
    assert.equal(res.body.error.code, 'BODY_TOO_LARGE');
  });

  it('answers a wrong method with 405 and Allow: POST', async () => {
    const { app } = setup();
    const res = await request(app).get('/validate').expect(405);
    assert.equal(res.headers['allow'], 'POST');
  });

  it('an object the engine cannot read (an invalid selector) is refused in the AdmissionReview with code 400', async () => {
    const { app } = setup();
    const bad = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'bad', namespace: 'etl-load' },
      spec: { podSelector: { matchExpressions: [{ key: 'a', operator: 'Sometimes' }] } },
    };
    const res = await request(app).post('/validate').send(admissionReview(bad)).expect(200);
    assert.equal(res.body.response.allowed, false);
    assert.equal(res.body.response.status.code, 400);
    assert.match(res.body.response.status.message, /^\[SELECTOR_INVALID\] .*unknown operator "Sometimes"/);
  });

  describe('a hand-made review with an object of the wrong shape is a 400 naming the field, not a 500', () => {
    const policy = (spec: unknown) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'odd', namespace: 'etl-load' }, spec });
    const rows: { name: string; object: unknown; message: RegExp }[] = [
      {
        name: 'ingress that is not a list',
        object: policy({ podSelector: {}, ingress: 'everything' }),
        message: /request\.object\.spec\.ingress must be a list, not string "everything"/,
      },
      {
        name: 'a peer that is null',
        object: policy({ podSelector: {}, ingress: [{ from: [null] }] }),
        message: /request\.object\.spec\.ingress\[0\]\.from\[0\] must be a mapping, not null/,
      },
      {
        name: 'except that is not a list',
        object: policy({ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: '10.1.0.0/16' } }] }] }),
        message: /except must be a list/,
      },
      { name: 'egress that is a number', object: policy({ podSelector: {}, egress: 7 }), message: /spec\.egress must be a list, not number 7/ },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const { app, lines } = setup();
        const res = await request(app)
          .post('/validate')
          .send(admissionReview(row.object as never))
          .expect(200);
        assert.equal(res.body.response.allowed, false);
        assert.equal(res.body.response.status.code, 400);
        assert.match(res.body.response.status.message, /^\[ADMISSION_BAD_REQUEST\] /);
        assert.match(res.body.response.status.message, row.message);
        assert.ok(
          lines.some((l) => l['event'] === 'bad-object'),
          'logged as a bad object, not as an internal error',
        );
      });
    }
  });

  it('an exception inside a rule gives 500 for that request only; the next request is served', async () => {
    const lines: unknown[] = [];
    const metrics = createMetrics({ defaultMetrics: false });
    let explode = true;
    const good = examplesView();
    const broken = {
      ...good,
      namespace: (name: string) =>
        explode
          ? (() => {
              throw new Error('boom');
            })()
          : good.namespace(name),
      namespaces: () => good.namespaces(),
      policiesIn: (n: string) => good.policiesIn(n),
    };
    const app = createWebhookApp({
      context: () => ({ config: enforce, view: broken }),
      metrics,
      logger: createLogger({ level: 'error', destination: new Writable({ write: (c, _e, d) => (lines.push(String(c)), d()) }) }),
    });
    const res = await request(app).post('/validate').send(admissionReview(labelled)).expect(500);
    assert.equal(res.body.error.code, 'INTERNAL');
    assert.equal(lines.length, 1, 'the error is logged');
    explode = false;
    await request(app).post('/validate').send(admissionReview(labelled)).expect(200);
  });
});
