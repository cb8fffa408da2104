// Seeded fuzzing of the two fronts with objects of the wrong shape: every field of the example
// manifests, a few at a time, replaced by a value of another type. Whatever arrives, the answer is
// a verdict or a StagewallError naming the problem, never an exception (a 500 or a stack trace).
import { strict as assert } from 'node:assert';
import { createServer } from 'node:http';
import request from 'supertest';
import { handleMutate, handleValidate } from '../../src/admission/handler.js';
import { decodeReview, MAX_UID_LENGTH } from '../../src/admission/review.js';
import { checkObjects } from '../../src/cli/check.js';
import { loadConfigFile } from '../../src/config/load.js';
import { shapeProblem } from '../../src/engine/shape.js';
import type { KubeObject } from '../../src/engine/types.js';
import { isRecord } from '../../src/engine/types.js';
import { isStagewallError } from '../../src/errors.js';
import { loadManifests } from '../../src/manifests/load.js';
import { buildStaticView } from '../../src/manifests/view.js';
import { createWebhookApp } from '../../src/server/app.js';
import { silentLogger } from '../../src/server/log.js';
import { createMetrics } from '../../src/server/metrics.js';
import { admissionReview, pod } from '../helpers/review.js';

const config = loadConfigFile('examples/stagewall.yaml');
const ctx = { config, view: buildStaticView(loadManifests(['examples/pipeline/manifests']), 'default', config), ownNamespace: 'stagewall-system' };
const SEEDS = loadManifests(['examples/pipeline/manifests', 'examples/broken']).map((o) => o.object);
const WRONG: unknown[] = [null, 0, -1, 1.5, '', 'x', true, [], [1], [null], [{}], ['a'], {}, { a: 1 }, { matchLabels: 5 }, '0.0.0.0/0', 70000];

/** A small deterministic generator (LCG), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

function fieldPaths(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (prefix.length > 0) out.push(prefix);
  if (value && typeof value === 'object') for (const [key, child] of Object.entries(value)) fieldPaths(child, [...prefix, key], out);
  return out;
}

function damaged(object: KubeObject, rand: () => number): KubeObject {
  const copy = structuredClone(object) as Record<string, unknown>;
  const paths = fieldPaths(copy);
  for (let n = 1 + Math.floor(rand() * 3); n > 0; n -= 1) {
    const path = paths[Math.floor(rand() * paths.length)] ?? [];
    let parent: unknown = copy;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string, unknown> | undefined)?.[key];
    if (parent && typeof parent === 'object')
      (parent as Record<string, unknown>)[path[path.length - 1] as string] = structuredClone(WRONG[Math.floor(rand() * WRONG.length)]);
  }
  return copy as KubeObject;
}

function crash(err: unknown): string | undefined {
  return isStagewallError(err)
    ? undefined
    : String((err as Error)?.stack ?? err)
        .split('\n')
        .slice(0, 3)
        .join(' | ');
}

describe('admission and check: objects of the wrong shape never crash the engine (seeded fuzzing)', () => {
  it('5,000 reviews on /validate and /mutate: a verdict or a named bad request, every time', () => {
    const rand = random(42);
    const crashes = new Set<string>();
    let refused = 0;
    for (let i = 0; i < 5000; i += 1) {
      const object = damaged(SEEDS[Math.floor(rand() * SEEDS.length)] as KubeObject, rand);
      const operation = (['CREATE', 'UPDATE', 'DELETE'] as const)[Math.floor(rand() * 3)];
      const review = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: `u${i}`,
          operation,
          namespace: object.metadata?.namespace,
          userInfo: { username: 'fuzz' },
          object: operation === 'DELETE' ? null : object,
          oldObject: operation === 'CREATE' ? null : damaged(object, rand),
        },
      };
      for (const handle of [handleValidate, handleMutate]) {
        try {
          handle(decodeReview(review).request, ctx);
        } catch (err) {
          const found = crash(err);
          if (found) crashes.add(`${handle.name}: ${found}`);
          else refused += 1;
        }
      }
    }
    assert.deepEqual([...crashes], []);
    assert.ok(refused > 0, 'some damage is refused as a bad request, so the fuzzing reaches the engine');
  });

  it('2,000 manifests through check: a shape error at load, or a verdict', () => {
    const rand = random(7);
    const crashes = new Set<string>();
    let judged = 0;
    for (let i = 0; i < 2000; i += 1) {
      const object = damaged(SEEDS[Math.floor(rand() * SEEDS.length)] as KubeObject, rand);
      if (shapeProblem(object)) continue; // what loadManifests refuses as MANIFEST_SHAPE
      try {
        checkObjects([{ object, source: { file: 'fuzz.yaml', line: 1 }, judged: true }], config);
        judged += 1;
      } catch (err) {
        const found = crash(err);
        if (found) crashes.add(found);
      }
    }
    assert.deepEqual([...crashes], []);
    assert.ok(judged > 100, `enough damaged objects pass the shape check to reach the engine (${judged})`);
  });
});

describe('server/app: bodies and request fields of the wrong type are 400s naming the field, never 500s', () => {
  const app = createWebhookApp({ context: () => ctx, metrics: createMetrics({ defaultMetrics: false }), logger: silentLogger() });
  const good = admissionReview(pod('etl-transform', 'p', { 'stagewall.dev/stage': 'transform' }));
  const withRequest = (fields: Record<string, unknown>) => ({ ...good, request: { ...(good['request'] as object), ...fields } });
  const withUser = (fields: Record<string, unknown>) => withRequest({ userInfo: { username: 'alice', ...fields } });
  const rows: { name: string; body: string; message: string }[] = [
    { name: 'a JSON list', body: '[]', message: 'the body must be a JSON object (an AdmissionReview)' },
    { name: 'a JSON string', body: '"x"', message: 'the body must be a JSON object (an AdmissionReview)' },
    { name: 'a number too large for a double (Infinity)', body: '1e999', message: 'the body must be a JSON object (an AdmissionReview)' },
    { name: 'null', body: 'null', message: 'the body must be a JSON object (an AdmissionReview)' },
    { name: 'true', body: 'true', message: 'the body must be a JSON object (an AdmissionReview)' },
    { name: 'a kind that is a mapping', body: JSON.stringify({ ...good, kind: {} }), message: 'kind must be "AdmissionReview", not a mapping' },
    {
      name: 'an apiVersion of megabytes',
      body: JSON.stringify({ ...good, apiVersion: 'v'.repeat(1_000_000) }),
      message: `apiVersion must be one of admission.k8s.io/v1, admission.k8s.io/v1beta1, not string "${'v'.repeat(62)}…`,
    },
    { name: 'a request that is a list', body: JSON.stringify({ ...good, request: [] }), message: 'request must be a mapping, not a list' },
    { name: 'a request that is a string', body: JSON.stringify({ ...good, request: 'x' }), message: 'request must be a mapping, not string "x"' },
    { name: 'a uid that is a number', body: JSON.stringify(withRequest({ uid: 5 })), message: 'request.uid must be a string, not number 5' },
    { name: 'a uid that is a mapping', body: JSON.stringify(withRequest({ uid: {} })), message: 'request.uid must be a string, not a mapping' },
    {
      name: 'a uid one character over MAX_UID_LENGTH',
      body: JSON.stringify(withRequest({ uid: 'u'.repeat(MAX_UID_LENGTH + 1) })),
      message: `request.uid is longer than ${MAX_UID_LENGTH} characters (${MAX_UID_LENGTH + 1}); the API server sends a UUID`,
    },
    {
      name: 'a uid of a megabyte',
      body: JSON.stringify(withRequest({ uid: 'u'.repeat(1 << 20) })),
      message: `request.uid is longer than ${MAX_UID_LENGTH} characters (${1 << 20}); the API server sends a UUID`,
    },
    {
      name: 'an operation that is a number',
      body: JSON.stringify(withRequest({ operation: 1 })),
      message: 'request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, not number 1',
    },
    {
      name: 'no operation',
      body: JSON.stringify(withRequest({ operation: undefined })),
      message: 'request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, not missing',
    },
    { name: 'a namespace that is a number', body: JSON.stringify(withRequest({ namespace: 7 })), message: 'request.namespace must be a string, not number 7' },
    {
      name: 'a namespace that is a mapping',
      body: JSON.stringify(withRequest({ namespace: {} })),
      message: 'request.namespace must be a string, not a mapping',
    },
    { name: 'a name that is a list', body: JSON.stringify(withRequest({ name: ['p'] })), message: 'request.name must be a string, not a list' },
    {
      name: 'a subResource that is true',
      body: JSON.stringify(withRequest({ subResource: true })),
      message: 'request.subResource must be a string, not boolean true',
    },
    { name: 'a kind that is a string', body: JSON.stringify(withRequest({ kind: 'Pod' })), message: 'request.kind must be a mapping, not string "Pod"' },
    {
      name: 'a kind.kind that is a number',
      body: JSON.stringify(withRequest({ kind: { group: '', version: 'v1', kind: 5 } })),
      message: 'request.kind.kind must be a string, not number 5',
    },
    {
      name: 'a requestKind.group that is a mapping',
      body: JSON.stringify(withRequest({ requestKind: { group: {} } })),
      message: 'request.requestKind.group must be a string, not a mapping',
    },
    { name: 'a resource that is a list', body: JSON.stringify(withRequest({ resource: [] })), message: 'request.resource must be a mapping, not a list' },
    {
      name: 'a dryRun that is a string',
      body: JSON.stringify(withRequest({ dryRun: 'yes' })),
      message: 'request.dryRun must be true or false, not string "yes"',
    },
    {
      name: 'a userInfo that is a string',
      body: JSON.stringify(withRequest({ userInfo: 'alice' })),
      message: 'request.userInfo must be a mapping, not string "alice"',
    },
    {
      name: 'a username that is a mapping',
      body: JSON.stringify(withUser({ username: {} })),
      message: 'request.userInfo.username must be a string, not a mapping',
    },
    { name: 'a username that is null', body: JSON.stringify(withUser({ username: null })), message: 'request.userInfo.username must be a string, not null' },
    {
      name: 'groups that are a string',
      body: JSON.stringify(withUser({ groups: 'system:masters' })),
      message: 'request.userInfo.groups must be a list, not string "system:masters"',
    },
    {
      name: 'a group that is a number',
      body: JSON.stringify(withUser({ groups: ['a', 1] })),
      message: 'request.userInfo.groups[1] must be a string, not number 1',
    },
    { name: 'an object that is a number', body: JSON.stringify(withRequest({ object: 5 })), message: 'request.object must be an object, not number 5' },
    { name: 'an oldObject that is a list', body: JSON.stringify(withRequest({ oldObject: [] })), message: 'request.oldObject must be an object, not a list' },
  ];
  for (const row of rows) {
    for (const endpoint of ['/validate', '/mutate']) {
      it(`${endpoint}: ${row.name}`, async () => {
        const res = await request(app).post(endpoint).set('Content-Type', 'application/json').send(row.body).expect(400);
        assert.equal(res.body.error.code, 'ADMISSION_BAD_REQUEST');
        assert.equal(res.body.error.message, row.message);
      });
    }
  }

  it('a uid of exactly MAX_UID_LENGTH characters is answered, and echoed', async () => {
    const uid = 'u'.repeat(MAX_UID_LENGTH);
    const res = await request(app).post('/validate').send(withRequest({ uid })).expect(200);
    assert.equal(res.body.response.uid, uid);
  });

  it('null stands for absent in the request’s optional fields, as some clients encode them', async () => {
    const body = withRequest({ name: null, namespace: null, subResource: null, kind: null, resource: null, userInfo: null, dryRun: null, oldObject: null });
    const res = await request(app).post('/validate').send(body).expect(200);
    assert.equal(res.body.response.allowed, true);
  });

  it('300 seeded reviews with request fields replaced by values of other types: 200 or a named 400, never a 500', async () => {
    const rand = random(1010);
    const fields = ['uid', 'operation', 'namespace', 'name', 'kind', 'userInfo', 'dryRun', 'object', 'oldObject', 'subResource', 'resource', 'options'];
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const statuses = new Map<number, number>();
      for (let i = 0; i < 300; i += 1) {
        const body = structuredClone(good) as { request: Record<string, unknown> };
        for (let n = 1 + Math.floor(rand() * 2); n > 0; n -= 1) {
          const field = fields[Math.floor(rand() * fields.length)] as string;
          const inside = rand() < 0.3 && isRecord(body.request[field]);
          const value = structuredClone(WRONG[Math.floor(rand() * WRONG.length)]);
          if (inside)
            (body.request[field] as Record<string, unknown>)[['kind', 'username', 'groups', 'group', 'metadata'][Math.floor(rand() * 5)] as string] = value;
          else body.request[field] = value;
        }
        const endpoint = rand() < 0.5 ? '/validate' : '/mutate';
        const res = await request(server).post(endpoint).send(body);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(res.status === 200 || res.status === 400, `review ${i} on ${endpoint} answered ${res.status}: ${JSON.stringify(body.request).slice(0, 300)}`);
        const message: string = res.status === 400 ? res.body.error.message : (res.body.response.status?.message ?? '');
        if (res.status === 400 || res.body.response.status?.code === 400) assert.match(message, /request|body/, `a 400 names the field: ${message}`);
      }
      assert.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(200) ?? 0) > 0, `both answers occur: ${JSON.stringify([...statuses])}`);
    } finally {
      server.close();
    }
  });
});
