// Point 8 of issue 10: a hand-made review whose labels, annotations or objects are of the wrong
// shape is a 400 naming the field, on both endpoints, never a verdict on a value read as
// "[object Object]" and never a silent admission of nothing.
import { strict as assert } from 'node:assert';
import request from 'supertest';
import { handleMutate, handleValidate } from '../../src/admission/handler.js';
import { decodeReview } from '../../src/admission/review.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { EngineContext } from '../../src/engine/evaluate.js';
import type { KubeObject } from '../../src/engine/types.js';
import { isStagewallError } from '../../src/errors.js';
import { createWebhookApp } from '../../src/server/app.js';
import { silentLogger } from '../../src/server/log.js';
import { createMetrics } from '../../src/server/metrics.js';
import { admissionReview, namespace, pod } from '../helpers/review.js';
import { examplesView } from '../helpers/view.js';

const config = loadConfigFile('examples/stagewall.yaml');
const ctx: EngineContext = { config, view: examplesView() };
const STAGE = 'stagewall.dev/stage';

/** A pod of etl-transform with one label of any value (the API server would have refused it). */
function podWithLabel(value: unknown, key = STAGE): KubeObject {
  const p = pod('etl-transform', 'p');
  (p.metadata as { labels: Record<string, unknown> }).labels = { [key]: value };
  return p;
}

function workload(kind: string, templateLabels: Record<string, unknown>): KubeObject {
  const template = { metadata: { labels: templateLabels }, spec: { containers: [{ name: 'main', image: 'busybox' }] } };
  const spec = kind === 'CronJob' ? { schedule: '* * * * *', jobTemplate: { spec: { template } } } : { selector: { matchLabels: { app: 'a' } }, template };
  return { apiVersion: kind === 'CronJob' || kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, metadata: { name: 'w', namespace: 'etl-transform' }, spec };
}

function policyWithLabels(labels: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'np', namespace: 'etl-transform', labels: labels as Record<string, string> },
    spec: { podSelector: {} },
  };
}

interface Row {
  readonly name: string;
  readonly body: Record<string, unknown>;
  readonly message: string;
}

function review(object: KubeObject | null, options: Parameters<typeof admissionReview>[1] = {}): Record<string, unknown> {
  return admissionReview(object, options);
}

/** The same review without `object` at all (not null: absent). */
function withoutObject(body: Record<string, unknown>, field: 'object' | 'oldObject'): Record<string, unknown> {
  const copy = structuredClone(body);
  delete (copy['request'] as Record<string, unknown>)[field];
  return copy;
}

const goodNamespace = namespace('etl-new', { 'stagewall.dev/pipeline': 'etl' });
const badNamespace = namespace('etl-new', {});
(badNamespace.metadata as { labels: Record<string, unknown> }).labels = { 'stagewall.dev/pipeline': { name: 'etl' } };

const ROWS: readonly Row[] = [
  {
    name: 'a label value that is a number',
    body: review(podWithLabel(7)),
    message: 'request.object.metadata.labels.stagewall.dev/stage must be a string, not number 7 (quote it: "7")',
  },
  {
    name: 'a label value that is a mapping (was 403 stage-unknown "stage=[object Object]")',
    body: review(podWithLabel({})),
    message: 'request.object.metadata.labels.stagewall.dev/stage must be a string, not a mapping',
  },
  {
    name: 'a label value that is null',
    body: review(podWithLabel(null)),
    message: 'request.object.metadata.labels.stagewall.dev/stage must be a string, not null',
  },
  {
    name: 'a label value that is a list',
    body: review(podWithLabel(['transform'])),
    message: 'request.object.metadata.labels.stagewall.dev/stage must be a string, not a list',
  },
  {
    name: 'a label value that is true',
    body: review(podWithLabel(true, 'app')),
    message: 'request.object.metadata.labels.app must be a string, not boolean true (quote it: "true")',
  },
  {
    name: 'an annotation value that is a number',
    body: review({
      ...pod('etl-transform', 'p', { [STAGE]: 'transform' }),
      metadata: {
        name: 'p',
        namespace: 'etl-transform',
        labels: { [STAGE]: 'transform' },
        annotations: { 'stagewall.dev/default-stage': 3 as unknown as string },
      },
    }),
    message: 'request.object.metadata.annotations.stagewall.dev/default-stage must be a string, not number 3 (quote it: "3")',
  },
  {
    name: 'labels that are a list',
    body: review({ ...pod('etl-transform', 'p'), metadata: { name: 'p', namespace: 'etl-transform', labels: ['a'] as unknown as Record<string, string> } }),
    message: 'request.object.metadata.labels must be a mapping, not a list',
  },
  {
    name: 'a namespace that is a number',
    body: review({ ...pod('etl-transform', 'p'), metadata: { name: 'p', namespace: 5 as unknown as string } }, { namespace: 'etl-transform' }),
    message: 'request.object.metadata.namespace must be a string, not number 5',
  },
  {
    name: 'metadata that is a string',
    body: review({ apiVersion: 'v1', kind: 'Pod', metadata: 'p' as never }),
    message: 'request.object.metadata must be a mapping, not string "p"',
  },
  {
    name: 'a Deployment template label that is a mapping',
    body: review(workload('Deployment', { [STAGE]: {} })),
    message: 'request.object.spec.template.metadata.labels.stagewall.dev/stage must be a string, not a mapping',
  },
  {
    name: 'a StatefulSet template label that is a number',
    body: review(workload('StatefulSet', { [STAGE]: 1 })),
    message: 'request.object.spec.template.metadata.labels.stagewall.dev/stage must be a string, not number 1 (quote it: "1")',
  },
  {
    name: 'a CronJob template label that is null',
    body: review(workload('CronJob', { [STAGE]: null })),
    message: 'request.object.spec.jobTemplate.spec.template.metadata.labels.stagewall.dev/stage must be a string, not null',
  },
  {
    name: 'a Deployment whose template is a list',
    body: review({ ...workload('Deployment', {}), spec: { template: [] } }),
    message: 'request.object.spec.template must be a mapping, not a list',
  },
  {
    name: 'a Namespace label that is a mapping',
    body: review(badNamespace),
    message: 'request.object.metadata.labels.stagewall.dev/pipeline must be a string, not a mapping',
  },
  {
    name: 'a NetworkPolicy label that is a number',
    body: review(policyWithLabels({ 'app.kubernetes.io/managed-by': 1 })),
    message: 'request.object.metadata.labels.app.kubernetes.io/managed-by must be a string, not number 1 (quote it: "1")',
  },
  {
    name: 'a kind stagewall does not judge, with a label of the wrong type',
    body: review({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'etl-load', labels: { a: {} as never } } }),
    message: 'request.object.metadata.labels.a must be a string, not a mapping',
  },
  {
    name: 'an UPDATE whose oldObject has a label of the wrong type',
    body: review(pod('etl-transform', 'p', { [STAGE]: 'transform' }), { operation: 'UPDATE', oldObject: podWithLabel(7) }),
    message: 'request.oldObject.metadata.labels.stagewall.dev/stage must be a string, not number 7 (quote it: "7")',
  },
  {
    name: 'a DELETE whose oldObject has a label of the wrong type',
    body: review(null, { operation: 'DELETE', oldObject: policyWithLabels({ a: [] }) }),
    message: 'request.oldObject.metadata.labels.a must be a string, not a list',
  },
  {
    name: 'a label key of megabytes is cut in the message',
    body: review(podWithLabel(7, 'k'.repeat(1_000_000))),
    message: `request.object.metadata.labels.${'k'.repeat(63)}… must be a string, not number 7 (quote it: "7")`,
  },
  {
    name: 'a string value of megabytes is cut in the message',
    body: review({ apiVersion: 'v1', kind: 'Pod', metadata: 'x'.repeat(1_000_000) as never }),
    message: `request.object.metadata must be a mapping, not string "${'x'.repeat(62)}…`,
  },
  { name: 'CREATE with a null object (was admitted)', body: review(null), message: 'request.object is required on CREATE, but it is null' },
  {
    name: 'CREATE without an object',
    body: withoutObject(review(pod('etl-transform', 'p')), 'object'),
    message: 'request.object is required on CREATE, but it is missing',
  },
  {
    name: 'UPDATE with a null object',
    body: review(null, { operation: 'UPDATE', oldObject: pod('etl-transform', 'p') }),
    message: 'request.object is required on UPDATE, but it is null',
  },
  {
    name: 'UPDATE without an object',
    body: withoutObject(review(pod('etl-transform', 'p'), { operation: 'UPDATE', oldObject: pod('etl-transform', 'p') }), 'object'),
    message: 'request.object is required on UPDATE, but it is missing',
  },
  {
    name: 'DELETE with a null oldObject',
    body: review(null, { operation: 'DELETE', oldObject: null }),
    message: 'request.oldObject is required on DELETE, but it is null',
  },
  {
    name: 'DELETE without an oldObject',
    body: withoutObject(review(null, { operation: 'DELETE' }), 'oldObject'),
    message: 'request.oldObject is required on DELETE, but it is missing',
  },
];

/** Well-shaped neighbours of the rows above: judged as before, not refused. */
const ACCEPTED: readonly { readonly name: string; readonly body: Record<string, unknown> }[] = [
  { name: 'a pod with string labels', body: review(pod('etl-transform', 'p', { [STAGE]: 'transform' })) },
  { name: 'a Deployment with string template labels', body: review(workload('Deployment', { [STAGE]: 'transform' })) },
  { name: 'a pipeline Namespace', body: review(goodNamespace) },
  { name: 'CONNECT, which has no object', body: review(null, { operation: 'CONNECT' }) },
  { name: 'DELETE with a null object and an oldObject', body: review(null, { operation: 'DELETE', oldObject: policyWithLabels({ a: 'b' }) }) },
  { name: 'an UPDATE with a null oldObject', body: review(pod('etl-transform', 'p', { [STAGE]: 'transform' }), { operation: 'UPDATE', oldObject: null }) },
];

describe('admission/handler: bad shapes are 400s naming the field (issue 10, point 8)', () => {
  for (const row of ROWS) {
    for (const handle of [handleValidate, handleMutate]) {
      it(`${handle.name}: ${row.name}`, () => {
        assert.throws(
          () => handle(decodeReview(row.body).request, ctx),
          (err: unknown) => isStagewallError(err) && err.code === 'ADMISSION_BAD_REQUEST' && err.message === row.message,
        );
      });
    }
  }
  for (const row of ACCEPTED) {
    it(`judges ${row.name}`, () => {
      const { request: r } = decodeReview(row.body);
      assert.doesNotThrow(() => handleValidate(r, ctx));
      assert.doesNotThrow(() => handleMutate(r, ctx));
    });
  }
});

describe('server/app: bad shapes are an AdmissionReview with status.code 400 (issue 10, point 8)', () => {
  const app = createWebhookApp({ context: () => ctx, metrics: createMetrics({ defaultMetrics: false }), logger: silentLogger() });
  for (const row of ROWS) {
    for (const endpoint of ['/validate', '/mutate']) {
      it(`${endpoint}: ${row.name}`, async () => {
        const res = await request(app).post(endpoint).send(row.body).expect(200);
        assert.equal(res.body.kind, 'AdmissionReview');
        assert.equal(res.body.response.uid, (row.body['request'] as { uid: string }).uid);
        assert.equal(res.body.response.allowed, false);
        assert.equal(res.body.response.status.code, 400);
        assert.equal(res.body.response.status.message, `[ADMISSION_BAD_REQUEST] ${row.message}`);
        assert.equal(res.body.response.patch, undefined);
      });
    }
  }
  for (const row of ACCEPTED) {
    it(`/validate and /mutate judge ${row.name}`, async () => {
      for (const endpoint of ['/validate', '/mutate']) {
        const res = await request(app).post(endpoint).send(row.body).expect(200);
        assert.notEqual(res.body.response.status?.code, 400, `${endpoint}: ${res.body.response.status?.message}`);
      }
    });
  }
});
